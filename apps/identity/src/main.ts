import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { collectProcessMetrics, createLogger, PinoNestLogger } from '@keyhouse/platform/observability';
import { IdentityAppModule, IDENTITY_SERVICE_NAME } from './app.module';
import { loadIdentityConfig } from './config/identity.config';

/**
 * Starts the identity service: migrations, NATS responders (queue group `identity`), the outbox
 * relay, and HTTP `/health/live`, `/health/ready`, `/metrics` on `HEALTH_PORT`.
 */
export async function startIdentity(env: NodeJS.ProcessEnv = process.env): Promise<NestFastifyApplication> {
  const config = loadIdentityConfig(env);
  const logger = new PinoNestLogger(createLogger(IDENTITY_SERVICE_NAME, config.LOG_LEVEL));
  collectProcessMetrics(IDENTITY_SERVICE_NAME);
  const app = await NestFactory.create<NestFastifyApplication>(IdentityAppModule.forRoot(config), new FastifyAdapter(), {
    logger,
    bufferLogs: true,
  });
  app.enableShutdownHooks();
  await app.listen(config.HEALTH_PORT, '0.0.0.0');
  return app;
}

if (require.main === module) {
  startIdentity().catch((error: unknown) => {
    process.stderr.write(`identity failed to start: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
