import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type Redis from 'ioredis';
import type { NatsConnection } from 'nats';
import { PermissionGuard } from '@keyhouse/platform/auth';
import { NATS_CONNECTION, NatsModule, ProblemDetailsFilter } from '@keyhouse/platform/messaging';
import { HealthModule, MetricsListenerModule } from '@keyhouse/platform/observability';
import { AuthenticationGuard } from './auth/authentication.guard';
import { AuthHttpController } from './auth/auth.http.controller';
import { TokenAuthenticationService } from './auth/token-authentication.service';
import { AUDIT_HTTP_CONTROLLERS } from './audit';
import { GATEWAY_CONFIG, type GatewayConfig, metricsListenerOptions } from './config/gateway.config';
import { CRM_HTTP_CONTROLLERS } from './crm';
import { CRM_WORK_HTTP_CONTROLLERS } from './crm-work';
import { DEALS_HTTP_CONTROLLERS } from './deals';
import { LISTINGS_HTTP_CONTROLLERS } from './listings';
import { NOTIFICATIONS_HTTP_CONTROLLERS, SendgridRawBodyCapture } from './notifications';
import {
  ApiKeysHttpController,
  LocalMailboxHttpController,
  OrganizationsHttpController,
} from './organizations/organizations.http.controller';

import { AccessDeniedRecorder } from './platform/access-denied-recorder.service';
import { REALTIME_PROVIDERS } from './realtime';
import { RateLimitGuard, REDIS_CLIENT } from './platform/rate-limit.guard';
import { RedisModule } from './platform/redis.module';
import { GatewayRpc } from './platform/rpc.service';
import { AgentsHttpController, RolesHttpController, TeamsHttpController, UsersHttpController } from './users/users.http.controller';

export const GATEWAY_SERVICE_NAME = 'gateway';

/** Every HTTP controller of the public API (one place, used by the app and the route audit test). */
export const API_CONTROLLERS = [
  AuthHttpController,
  UsersHttpController,
  AgentsHttpController,
  TeamsHttpController,
  RolesHttpController,
  OrganizationsHttpController,
  ApiKeysHttpController,
  LocalMailboxHttpController,
  ...CRM_HTTP_CONTROLLERS,
  ...CRM_WORK_HTTP_CONTROLLERS,
  ...LISTINGS_HTTP_CONTROLLERS,
  ...DEALS_HTTP_CONTROLLERS,
  ...AUDIT_HTTP_CONTROLLERS,
  ...NOTIFICATIONS_HTTP_CONTROLLERS,
];

/**
 * The HTTP gateway: guards run in order authentication → rate limit → permission; creating POSTs
 * add the idempotency interceptor; every error leaves through the problem-details filter.
 * Prometheus metrics are served by the internal `MetricsListener` (METRICS_HOST:METRICS_PORT).
 */
@Module({})
export class GatewayAppModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayAppModule,
      imports: [
        RedisModule.forRoot(config.REDIS_URL),
        NatsModule.forRoot({
          serviceName: GATEWAY_SERVICE_NAME,
          servers: config.NATS_URL,
          subjectPrefix: config.NATS_SUBJECT_PREFIX,
          requestTimeoutMs: config.NATS_REQUEST_TIMEOUT_MS,
        }),
        HealthModule.forRoot({
          inject: [NATS_CONNECTION, REDIS_CLIENT],
          useFactory: (nats: NatsConnection, redis: Redis) => [
            { name: 'nats', probe: async () => ({ healthy: !nats.isClosed() && !nats.isDraining() }) },
            { name: 'redis', probe: async () => ({ healthy: (await redis.ping()) === 'PONG' }) },
          ],
        }),
        // Prometheus metrics on their own internal port, never on the public one (issue 13).
        MetricsListenerModule.forRoot(metricsListenerOptions(config)),
      ],
      controllers: [...API_CONTROLLERS],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        GatewayRpc,
        TokenAuthenticationService,
        AccessDeniedRecorder,
        // Keeps the raw body of the SendGrid Event Webhook for its signature (docs/adr/0035).
        SendgridRawBodyCapture,
        // The realtime channel: Socket.IO at /v1/realtime, fed by core NATS pushes (docs/adr/0035).
        ...REALTIME_PROVIDERS,
        { provide: APP_GUARD, useClass: AuthenticationGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_GUARD, useClass: PermissionGuard },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    };
  }
}
