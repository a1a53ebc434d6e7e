import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bootstrapService, runIfMain } from '@keyhouse/platform/service';
import { NotificationsAppModule, NOTIFICATIONS_SERVICE_NAME } from './app.module';
import { loadNotificationsConfig } from './config/notifications.config';

/**
 * Starts the notifications service: migrations, NATS responders, the identity and crm consumers,
 * outbox relay, the email queue's worker, `/health/*` and `/metrics` on HEALTH_PORT.
 */
export async function startNotifications(env: NodeJS.ProcessEnv = process.env): Promise<NestFastifyApplication> {
  const config = loadNotificationsConfig(env);
  return bootstrapService({
    serviceName: NOTIFICATIONS_SERVICE_NAME,
    module: NotificationsAppModule.forRoot(config),
    healthPort: config.HEALTH_PORT,
    logLevel: config.LOG_LEVEL,
  });
}

runIfMain(module, NOTIFICATIONS_SERVICE_NAME, startNotifications);
