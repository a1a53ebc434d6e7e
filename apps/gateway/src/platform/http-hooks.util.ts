import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Counter, Histogram } from 'prom-client';
import { nextTraceparent, requestLogFields } from '@keyhouse/platform/observability';
import { newId } from '@keyhouse/util';
import type { GatewayRequest } from './gateway-request.type';
import type { SecurityHeaders } from './security-headers.util';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const requests = new Counter({
  name: 'http_requests_total',
  help: 'HTTP requests answered by the gateway',
  labelNames: ['method', 'route', 'status'],
});
const duration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request duration at the gateway',
  labelNames: ['method', 'route'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

/**
 * Per-request plumbing on the Fastify instance: a request id (the client's `X-Request-Id` when
 * well-formed, else a new UUIDv7) echoed in the response; the security headers
 * (`securityHeaders`); W3C trace context continued or started;
 * one access-log line and Prometheus metrics per request.
 *
 * The ids live on the request object, and the gateway's log lines about a request (this access
 * log, the problem-details filter's error log) write them from there with `requestLogFields`: no
 * AsyncLocalStorage holds them, because on Node 20 it puts a hook on every promise of every
 * request (ADR 0023, docs/adr/0025).
 */
export function registerHttpHooks(fastify: FastifyInstance, logger: Logger, headers: SecurityHeaders): void {
  fastify.addHook('onRequest', (rawRequest, reply, done) => {
    const request = rawRequest as GatewayRequest;
    const incoming = request.headers['x-request-id'];
    request.requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : newId();
    const traceparent = request.headers.traceparent;
    request.traceparent = nextTraceparent(typeof traceparent === 'string' ? traceparent : undefined);
    void reply.header('X-Request-Id', request.requestId).headers(headers.all);
    if (!request.url.startsWith('/docs')) void reply.headers(headers.api);
    done();
  });
  fastify.addHook('onResponse', (rawRequest, reply, done) => {
    const request = rawRequest as GatewayRequest;
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, seconds);
    if (logger.isLevelEnabled('info')) {
      logger.info(
        {
          ...requestLogFields(request),
          method: request.method,
          route,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
          orgId: request.actor?.orgId,
          userId: request.actor?.userId,
        },
        'request',
      );
    }
    done();
  });
}
