import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bootstrapService, runIfMain } from '@keyhouse/platform/service';
import { ListingsAppModule, LISTINGS_SERVICE_NAME } from './app.module';
import { loadListingsConfig } from './config/listings.config';

/** Starts the listings service: migrations, NATS responders, outbox relay, jobs, `/health/*` and `/metrics` on HEALTH_PORT. */
export async function startListings(env: NodeJS.ProcessEnv = process.env): Promise<NestFastifyApplication> {
  const config = loadListingsConfig(env);
  return bootstrapService({
    serviceName: LISTINGS_SERVICE_NAME,
    module: ListingsAppModule.forRoot(config),
    healthPort: config.HEALTH_PORT,
    logLevel: config.LOG_LEVEL,
  });
}

runIfMain(module, LISTINGS_SERVICE_NAME, startListings);
