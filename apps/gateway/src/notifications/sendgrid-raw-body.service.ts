import { Readable } from 'node:stream';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';

/** Path of the SendGrid Event Webhook (with the global `/v1` prefix). */
export const SENDGRID_EVENTS_PATH = '/v1/webhooks/sendgrid/events';

/** Paths of Twilio's webhooks (status callbacks and inbound SMS), signed over their form params. */
export const TWILIO_WEBHOOK_PATHS = ['/v1/webhooks/twilio/status', '/v1/webhooks/twilio/inbound'];

/** Paths whose raw body is kept (the signed webhooks). */
const RAW_BODY_PATHS = new Set([SENDGRID_EVENTS_PATH, ...TWILIO_WEBHOOK_PATHS]);

/** Where the raw body of a SendGrid webhook request is kept on the Node request. */
const RAW_BODY = Symbol('sendgridRawBody');

/** The raw body bytes captured for `request` (the SendGrid and Twilio webhook routes only), or null. */
export function sendgridRawBodyOf(request: FastifyRequest | { raw: object }): Buffer | null {
  return ((request.raw as Record<symbol, Buffer | undefined>)[RAW_BODY] as Buffer | undefined) ?? null;
}

/**
 * Keeps the exact bytes of `POST /v1/webhooks/sendgrid/events` and of Twilio's
 * `POST /v1/webhooks/twilio/{status,inbound}` (RELIABILITY.md 5.1: the signature covers the raw
 * body, or for Twilio its params; any re-serialization risks breaking it): a Fastify `preParsing`
 * hook, on those paths only, reads the body (at most `BODY_LIMIT_BYTES` + 1 bytes: a larger one still fails the JSON
 * parser's limit with 413), stores it on the request and hands the same bytes on to the body
 * parser. Every other route's body is untouched.
 */
@Injectable()
export class SendgridRawBodyCapture implements OnModuleInit {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const limit = this.config.BODY_LIMIT_BYTES;
    fastify.addHook('preParsing', async (request, _reply, payload) => {
      if (request.method !== 'POST' || !RAW_BODY_PATHS.has(request.url.split('?')[0])) return payload;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of payload) {
        const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
        chunks.push(buffer);
        size += buffer.length;
        if (size > limit) break;
      }
      const raw = Buffer.concat(chunks);
      (request.raw as unknown as Record<symbol, Buffer>)[RAW_BODY] = raw;
      const replay = Readable.from([raw]) as Readable & { receivedEncodedLength?: number };
      replay.receivedEncodedLength = raw.length;
      return replay;
    });
  }
}
