import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bootstrapService, runIfMain } from '@keyhouse/platform/service';
import { DealsCommissionAppModule, DEALS_COMMISSION_SERVICE_NAME } from './app.module';
import { loadDealsCommissionConfig } from './config/deals-commission.config';

/** Starts the deals-commission service: migrations, NATS responders, outbox relay, jobs, `/health/*` and `/metrics` on HEALTH_PORT. */
export async function startDealsCommission(env: NodeJS.ProcessEnv = process.env): Promise<NestFastifyApplication> {
  const config = loadDealsCommissionConfig(env);
  return bootstrapService({
    serviceName: DEALS_COMMISSION_SERVICE_NAME,
    module: DealsCommissionAppModule.forRoot(config),
    healthPort: config.HEALTH_PORT,
    logLevel: config.LOG_LEVEL,
  });
}

runIfMain(module, DEALS_COMMISSION_SERVICE_NAME, startDealsCommission);
