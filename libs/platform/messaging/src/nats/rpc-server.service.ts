import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { Msg, NatsConnection, Subscription } from 'nats';
import { RPC_REQUEST_SCHEMAS, type RequestEnvelope, type RpcReply } from '@keyhouse/contracts';
import { requestLogFields } from '@keyhouse/platform/observability';
import { InvalidCursorError } from '@keyhouse/platform/database';
import { databaseUnavailable, isDatabaseOutage } from '../errors/database-outage.util';
import { DomainException, PlatformErrorCode } from '../errors/domain.exception';
import { parseRequestEnvelope } from './request-envelope.codec';
import { NATS_CONNECTION, NATS_OPTIONS, RPC_HANDLER_METADATA, RPC_REQUEST_SCHEMA_METADATA, type NatsModuleOptions } from './nats.constant';
import { compileRequestChecks, type RpcRequestCheck } from './rpc-request-validation.util';

type Handler = (envelope: RequestEnvelope) => unknown;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Subscribes every `@RpcHandler(subject)` method of the application's providers to its subject,
 * in the queue group named after the service so that replicas share the load (each request is
 * handled once). Replies are `RpcReply` JSON; unexpected errors are logged and answered with a
 * generic `INTERNAL_ERROR` that carries no stack or message.
 *
 * Each request's `data` is checked against its subject's JSON Schema (`RPC_REQUEST_SCHEMAS`,
 * generated from the contract's request type, or the handler's own `requestSchema`) before the
 * handler runs; an invalid one is answered `DomainException.validation` (`VALIDATION_FAILED`, HTTP
 * 400 at the gateway) with one `{ field, message, code }` per problem and the handler is not called.
 * A subject without a schema fails the start-up; a generated schema is compiled by the subject's
 * first request (once per process), a handler's own schema at start-up.
 */
@Injectable()
export class RpcServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RpcServer.name);
  private readonly subscriptions: Subscription[] = [];
  private readonly handlers = new Map<string, Handler>();
  private readonly ownSchemas = new Map<string, object>();
  private checks = new Map<string, RpcRequestCheck>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    @Inject(NATS_OPTIONS) private readonly options: NatsModuleOptions,
  ) {}

  /** Subjects this process answers (without the prefix). */
  get subjects(): string[] {
    return [...this.handlers.keys()];
  }

  onApplicationBootstrap(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const method = instance[name] as Handler;
        const subject = this.reflector.get<string | undefined>(RPC_HANDLER_METADATA, method);
        if (!subject) continue;
        if (this.handlers.has(subject)) throw new Error(`Two handlers for NATS subject ${subject}`);
        this.handlers.set(subject, method.bind(instance));
        const schema = this.reflector.get<object | undefined>(RPC_REQUEST_SCHEMA_METADATA, method);
        if (schema) this.ownSchemas.set(subject, schema);
      }
    }
    this.checks = compileRequestChecks(this.subjects, RPC_REQUEST_SCHEMAS, this.ownSchemas);
    for (const [subject, handler] of this.handlers) {
      const subscription = this.connection.subscribe(this.options.subjectPrefix + subject, {
        queue: this.options.serviceName,
        callback: (error, message) => {
          if (error) {
            this.logger.error({ err: error, subject }, 'NATS subscription error');
            return;
          }
          void this.dispatch(subject, handler, message);
        },
      });
      this.subscriptions.push(subscription);
    }
    this.logger.log(`Answering ${this.handlers.size} NATS subjects in queue group ${this.options.serviceName}`);
  }

  async onApplicationShutdown(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions.length = 0;
  }

  private async dispatch(subject: string, handler: Handler, message: Msg): Promise<void> {
    let reply: RpcReply;
    let envelope: RequestEnvelope | undefined;
    try {
      const request = parseRequestEnvelope(decoder.decode(message.data));
      envelope = request;
      const invalid = this.checks.get(subject)?.(request.data) ?? null;
      if (invalid) {
        this.logger.warn({ subject, errors: invalid, ...requestLogFields(request) }, `Invalid request data for ${subject}`);
        throw DomainException.validation(invalid);
      }
      const data = await handler(request);
      reply = { ok: true, data: data === undefined ? null : data };
    } catch (error) {
      if (error instanceof DomainException) {
        reply = { ok: false, error: error.toBody() };
      } else if (error instanceof InvalidCursorError) {
        reply = { ok: false, error: DomainException.invalidCursor().toBody() };
      } else if (isDatabaseOutage(error)) {
        this.logger.warn(
          { err: error, subject, ...(envelope ? requestLogFields(envelope) : {}) },
          `Database unavailable in ${subject}: ${(error as Error)?.message}`,
        );
        reply = { ok: false, error: databaseUnavailable().toBody() };
      } else {
        this.logger.error(
          { err: error, subject, ...(envelope ? requestLogFields(envelope) : {}) },
          `Unhandled error in ${subject}: ${(error as Error)?.message}`,
        );
        reply = {
          ok: false,
          error: { kind: 'internal', code: PlatformErrorCode.Internal, message: 'An unexpected error occurred' },
        };
      }
    }
    if (message.reply) message.respond(encoder.encode(JSON.stringify(reply)));
  }
}
