import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bootstrapService, runIfMain } from '@keyhouse/platform/service';
import { CrmAppModule, CRM_SERVICE_NAME } from './app.module';
import { loadCrmConfig } from './config/crm.config';

/** Starts the crm service: migrations, NATS responders, outbox relay, jobs, `/health/*` and `/metrics` on HEALTH_PORT. */
export async function startCrm(env: NodeJS.ProcessEnv = process.env): Promise<NestFastifyApplication> {
  const config = loadCrmConfig(env);
  return bootstrapService({
    serviceName: CRM_SERVICE_NAME,
    module: CrmAppModule.forRoot(config),
    healthPort: config.HEALTH_PORT,
    logLevel: config.LOG_LEVEL,
  });
}

runIfMain(module, CRM_SERVICE_NAME, startCrm);
