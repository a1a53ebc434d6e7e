import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { corsOrigins } from '../config/gateway.config';

/**
 * Response headers for a JSON API that carries tokens and personal data (issue 13 item 10; OWASP
 * Secure Headers Project, REST Security Cheat Sheet), set by `@fastify/helmet` on every answer:
 * `Strict-Transport-Security` (RFC 6797, `hstsMaxAgeSeconds`, with subdomains; off at 0),
 * `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY` and a
 * `Content-Security-Policy` of `default-src 'none'; frame-ancestors 'none'` on the API (the Swagger
 * UI under `/docs` keeps helmet's default policy, which lets its own scripts and styles load), and
 * `Cache-Control: no-store` on every `/v1` answer that did not set its own, so no proxy or browser
 * cache keeps a token or a contact.
 *
 * CORS: only the configured origins (`CORS_ALLOWED_ORIGINS`) get `Access-Control-Allow-*`; with
 * none configured, browsers on other origins are refused by the browser itself.
 */
export async function registerSecurityHeaders(
  app: NestFastifyApplication,
  options: { hstsMaxAgeSeconds: number; corsAllowedOrigins: string },
): Promise<void> {
  // `as never`: @nestjs/platform-fastify carries its own copy of the fastify types (as for multipart).
  await app.register(helmet as never, {
    global: true,
    hsts: options.hstsMaxAgeSeconds > 0 ? { maxAge: options.hstsMaxAgeSeconds, includeSubDomains: true } : false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    contentSecurityPolicy: false,
    crossOriginEmbedderPolicy: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (!request.url.startsWith('/docs')) {
      void reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
      if (request.url.startsWith('/v1') && !reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    }
    done(null, payload);
  });
  const origins = corsOrigins(options.corsAllowedOrigins);
  app.enableCors({
    origin: origins.length > 0 ? origins : false,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    credentials: false,
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-api-key', 'x-request-id', 'traceparent'],
    exposedHeaders: ['x-request-id', 'retry-after'],
    maxAge: 600,
  });
}
