import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { NatsConnection } from 'nats';
import { DataSource, type MigrationInterface } from 'typeorm';
import { DatabaseModule } from '@keyhouse/platform/database';
import {
  EventHandlerRegistry,
  NATS_CONNECTION,
  NatsModule,
  OutboxModule,
  OutboxRelay,
  PLATFORM_MIGRATIONS,
  ProblemDetailsFilter,
} from '@keyhouse/platform/messaging';
import { HealthModule, MetricsController, type HealthCheckDefinition } from '@keyhouse/platform/observability';
import { FailedJobsHttpController, OPS_TOKEN, QueueModule, RedisHealthIndicator } from '@keyhouse/platform/queue';
import { ParkedOutboxHttpController } from './parked-outbox.http.controller';
import { DEFAULT_SERVICE_HTTP_HOST, SERVICE_HTTP_HOST, type ServicePlatformConfig } from './service-env.config';

/** What a back-end service hands to `ServiceCoreModule.forRoot`. */
export interface ServiceCoreOptions {
  /** Service name: NATS client name, Kafka client id, log and metric label. */
  serviceName: string;
  /** The service's loaded configuration (`serviceEnv`): platform variables and `HTTP_HOST`. */
  platform: ServicePlatformConfig;
  database: { url: string; schema: string; migrations: Array<new () => MigrationInterface> };
  opsToken?: string;
  /** Topic of the service's domain events when it is not `<serviceName>.events` (e.g. `deals.events`). */
  eventTopic?: string;
  /** Relay tuning (tests and benches): safety-net poll interval, refusals before a row is parked. */
  outbox?: { pollIntervalMs?: number; maxAttempts?: number };
  /** Further health checks besides postgres, nats, redis and the outbox relay. */
  healthChecks?: {
    inject: Array<string | symbol | (abstract new (...args: never[]) => unknown)>;
    useFactory: (...deps: never[]) => HealthCheckDefinition[];
  };
}

/**
 * Everything a Keyhouse back-end service stands on, wired one way for all of them: its TypeORM
 * data source on its own schema (migrations at start, under an advisory lock), the NATS connection
 * with RPC client and responders (subject prefix, queue group = service name), the transactional
 * outbox and its relay to Kafka, Bull on Redis, `/health/live` + `/health/ready` (postgres, nats,
 * redis, outbox relay, event consumers), `/metrics`, the operators' failed-jobs view behind `OPS_TOKEN`, and the
 * problem-details filter; those HTTP routes listen on `platform.HTTP_HOST` (default loopback, see
 * `bootstrapService`). The data source, NATS, outbox and Bull's root are global; a service
 * registers its own queues with `QueueModule.registerQueues(...)`.
 */
@Module({})
export class ServiceCoreModule {
  static forRoot(options: ServiceCoreOptions): DynamicModule {
    const { serviceName, platform } = options;
    const extra = options.healthChecks;
    const providers: Provider[] = [
      { provide: OPS_TOKEN, useValue: options.opsToken },
      { provide: SERVICE_HTTP_HOST, useValue: platform.HTTP_HOST ?? DEFAULT_SERVICE_HTTP_HOST },
      { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    ];
    return {
      module: ServiceCoreModule,
      imports: [
        DatabaseModule.forRoot({
          serviceName,
          url: options.database.url,
          schema: options.database.schema,
          entities: [],
          migrations: [...options.database.migrations, ...PLATFORM_MIGRATIONS],
        }),
        NatsModule.forRoot({
          serviceName,
          servers: platform.NATS_URL,
          subjectPrefix: platform.NATS_SUBJECT_PREFIX,
          requestTimeoutMs: platform.NATS_REQUEST_TIMEOUT_MS,
        }),
        OutboxModule.forRoot({
          serviceName,
          schema: options.database.schema,
          topicPrefix: platform.KAFKA_TOPIC_PREFIX,
          topic: options.eventTopic,
          ...options.outbox,
          kafka: { clientId: serviceName, brokers: platform.KAFKA_BROKERS, topicPrefix: platform.KAFKA_TOPIC_PREFIX },
        }),
        QueueModule.forRoot({ redisUrl: platform.REDIS_URL, prefix: `${platform.REDIS_KEY_PREFIX}bull` }),
        HealthModule.forRoot({
          inject: [DataSource, NATS_CONNECTION, OutboxRelay, EventHandlerRegistry, RedisHealthIndicator, ...(extra?.inject ?? [])],
          useFactory: (
            dataSource: DataSource,
            nats: NatsConnection,
            relay: OutboxRelay,
            consumers: EventHandlerRegistry,
            redis: RedisHealthIndicator,
            ...deps: never[]
          ) => [
            {
              name: 'postgres',
              probe: async () => {
                await dataSource.query('SELECT 1');
                return { healthy: true };
              },
            },
            { name: 'nats', probe: async () => ({ healthy: !nats.isClosed() && !nats.isDraining() }) },
            { name: 'redis', probe: () => redis.probe() },
            {
              name: 'outbox',
              liveness: true,
              probe: async () => {
                const ageMs = Date.now() - relay.lastPollAt;
                return { healthy: ageMs < 60_000, details: { lastPollAgeMs: ageMs } };
              },
            },
            { name: 'event-consumers', liveness: true, probe: async () => consumers.liveness() },
            ...(extra ? extra.useFactory(...deps) : []),
          ],
        }),
      ],
      controllers: [MetricsController, FailedJobsHttpController, ParkedOutboxHttpController],
      providers,
      exports: [OPS_TOKEN],
    };
  }
}
