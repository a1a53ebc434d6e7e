import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Producer } from 'kafkajs';
import { Counter, Gauge } from 'prom-client';
import {
  AUDIT_GATEWAY_EVENTS_TOPIC,
  AUDIT_NIL_ORG,
  AuditEvent,
  eventSchemaUrn,
  type AuditAccessRefusedData,
  type CloudEvent,
} from '@keyhouse/contracts';
import { createKafka, createProducer } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import type { GatewayRequest } from './gateway-request.type';

/** Refusals kept in memory while Kafka is unreachable; beyond it the oldest are dropped (and counted). */
export const ACCESS_DENIED_BUFFER_MAX = 10_000;
const FLUSH_EVERY_MS = 200;
const SEND_BATCH = 500;
const SHUTDOWN_FLUSH_MS = 3000;

const emitted = new Counter({
  name: 'gateway_access_refusals_total',
  help: 'Refused requests recorded as security events',
  labelNames: ['status'],
});
const dropped = new Counter({ name: 'gateway_access_refusals_dropped_total', help: 'Refusal events dropped because the buffer was full' });
const buffered = new Gauge({ name: 'gateway_access_refusals_buffered', help: 'Refusal events waiting for Kafka' });

/**
 * Records refused requests for the audit trail (docs/adr/0016): every 403, and every 401 outside
 * `/v1/auth/*` (identity records failed logins itself), seen in Fastify's `onResponse` hook so that
 * refusals from the guards and from services are both caught. Each becomes a CloudEvent
 * (`gateway.access.denied` / `gateway.authentication.failed`) in a bounded in-memory buffer that is
 * sent to `gateway.events` in batches with acks = all; a failed send is retried with backoff, so a
 * refusal is delivered at least once while the gateway lives (the audit inbox removes duplicates).
 * It is lost if the gateway process dies before the send, or dropped (oldest first, counted) when
 * more than `ACCESS_DENIED_BUFFER_MAX` wait. The request path never waits for Kafka.
 */
@Injectable()
export class AccessDeniedRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AccessDeniedRecorder.name);
  private readonly buffer: Array<CloudEvent<AuditAccessRefusedData>> = [];
  private producer: Producer | null = null;
  private connected = false;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private retryAt = 0;
  private backoffMs = 0;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', (request, reply, done) => {
      this.observe(request, reply.statusCode);
      done();
    });
    const kafka = createKafka({ clientId: 'gateway', brokers: this.config.KAFKA_BROKERS, topicPrefix: this.config.KAFKA_TOPIC_PREFIX });
    this.producer = createProducer(kafka);
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.retryAt = 0;
    await Promise.race([this.flush(), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_FLUSH_MS).unref())]);
    if (this.buffer.length > 0) this.logger.warn(`${this.buffer.length} refusal events not delivered at shutdown`);
    if (this.connected) await this.producer?.disconnect().catch(() => undefined);
    this.connected = false;
  }

  /** Turns a finished request into a refusal event when it was one. */
  observe(rawRequest: FastifyRequest, status: number): void {
    if (status !== 401 && status !== 403) return;
    const request = rawRequest as GatewayRequest;
    const path = request.url.split('?')[0];
    if (status === 401 && path.startsWith('/v1/auth/')) return;
    const actor = request.actor;
    const route = request.routeOptions?.url ?? 'unmatched';
    const agent = request.headers['user-agent'];
    const definition = status === 403 ? AuditEvent.accessDenied : AuditEvent.authenticationFailed;
    const event: CloudEvent<AuditAccessRefusedData> = {
      specversion: '1.0',
      id: newId(),
      source: 'keyhouse/gateway',
      type: definition.type,
      subject: `${request.method} ${route}`,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      dataschema: eventSchemaUrn(definition.type, definition.version),
      orgid: actor?.orgId ?? AUDIT_NIL_ORG,
      actortype: actor?.type ?? 'system',
      ...(actor?.type === 'api_key' && actor.apiKeyId ? { actorid: actor.apiKeyId } : actor?.userId ? { actorid: actor.userId } : {}),
      ...(actor?.role ? { actorrole: actor.role } : {}),
      requestid: request.requestId,
      ...(request.traceparent ? { traceparent: request.traceparent } : {}),
      data: {
        method: request.method,
        route,
        path: path.slice(0, 500),
        status,
        ip: request.ip,
        ...(typeof agent === 'string' ? { userAgent: agent.slice(0, 512) } : {}),
      },
    };
    if (this.buffer.length >= ACCESS_DENIED_BUFFER_MAX) {
      this.buffer.shift();
      dropped.inc();
    }
    this.buffer.push(event);
    emitted.inc({ status: String(status) });
    buffered.set(this.buffer.length);
  }

  /** Sends what is buffered (one flush at a time). */
  flush(): Promise<void> {
    this.flushing ??= this.send().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async send(): Promise<void> {
    if (!this.producer || Date.now() < this.retryAt) return;
    const topic = this.config.KAFKA_TOPIC_PREFIX + AUDIT_GATEWAY_EVENTS_TOPIC;
    while (this.buffer.length > 0) {
      const batch = this.buffer.slice(0, SEND_BATCH);
      try {
        if (!this.connected) {
          await this.producer.connect();
          this.connected = true;
        }
        await this.producer.send({
          topic,
          acks: -1,
          timeout: 10_000,
          messages: batch.map((event) => ({
            key: event.orgid,
            value: JSON.stringify(event),
            headers: { ce_id: event.id, ce_type: event.type, ce_source: event.source, ce_specversion: event.specversion },
          })),
        });
      } catch (error) {
        this.backoffMs = Math.min(5000, this.backoffMs ? this.backoffMs * 2 : 250);
        this.retryAt = Date.now() + this.backoffMs;
        this.logger.warn(`Refusal events not sent (retrying in ${this.backoffMs} ms): ${(error as Error).message}`);
        return;
      }
      this.backoffMs = 0;
      // Only the events sent leave the buffer (new ones may have been appended meanwhile; drops
      // only remove from the front, so the sent batch is still the front unless it overflowed).
      const sent = new Set(batch.map((event) => event.id));
      while (this.buffer.length > 0 && sent.has(this.buffer[0].id)) this.buffer.shift();
      buffered.set(this.buffer.length);
    }
  }
}
