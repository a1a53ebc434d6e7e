import { bootstrapService, runIfMain } from '@keyhouse/platform/service';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { IdentityAppModule, IDENTITY_SERVICE_NAME } from './app.module';
import { loadIdentityConfig } from './config/identity.config';

/**
 * Starts the identity service: migrations, NATS responders (queue group `identity`), the outbox
 * relay, and HTTP `/health/live`, `/health/ready`, `/metrics` on `HEALTH_PORT`.
 */
export async function startIdentity(env: NodeJS.ProcessEnv = process.env): Promise<NestFastifyApplication> {
  const config = loadIdentityConfig(env);
  return bootstrapService({
    serviceName: IDENTITY_SERVICE_NAME,
    module: IdentityAppModule.forRoot(config),
    healthPort: config.HEALTH_PORT,
    logLevel: config.LOG_LEVEL,
  });
}

runIfMain(module, IDENTITY_SERVICE_NAME, startIdentity);
