import 'reflect-metadata';
import type { DynamicModule } from '@nestjs/common';
import { ModuleRef, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { collectProcessMetrics, createLogger, PinoNestLogger } from '@keyhouse/platform/observability';
import { DEFAULT_SERVICE_HTTP_HOST, SERVICE_HTTP_HOST } from './service-env.config';

/**
 * Starts a back-end service: pino logs, process metrics, the Nest application (its NATS
 * responders and jobs start with it) and HTTP `/health/*`, `/metrics` on `healthPort` (0: any free
 * port, as tests use), bound to `host`, else to the `HTTP_HOST` its `ServiceCoreModule` was given,
 * else to loopback (`DEFAULT_SERVICE_HTTP_HOST`): never to every interface unless configured so.
 * Shutdown hooks drain NATS, stop the relay and close pools on SIGTERM.
 */
export async function bootstrapService(options: {
  serviceName: string;
  module: DynamicModule;
  healthPort: number;
  /** Interface to bind HTTP to, e.g. `127.0.0.1` or `0.0.0.0` (default: see above). */
  host?: string;
  logLevel: string;
}): Promise<NestFastifyApplication> {
  const logger = new PinoNestLogger(createLogger(options.serviceName, options.logLevel));
  collectProcessMetrics(options.serviceName);
  const app = await NestFactory.create<NestFastifyApplication>(options.module, new FastifyAdapter(), { logger, bufferLogs: true });
  app.enableShutdownHooks();
  await app.listen(options.healthPort, options.host ?? configuredHttpHost(app));
  return app;
}

/** The `SERVICE_HTTP_HOST` a `ServiceCoreModule` in the app provides; loopback when none does. */
function configuredHttpHost(app: NestFastifyApplication): string {
  // Through ModuleRef: a missing token then throws here instead of aborting the process.
  try {
    return app.get(ModuleRef).get<string>(SERVICE_HTTP_HOST, { strict: false });
  } catch {
    return DEFAULT_SERVICE_HTTP_HOST;
  }
}

/** `main.ts` tail: start when run directly, print the stack and exit 1 on failure. */
export function runIfMain(mainModule: NodeModule, serviceName: string, start: () => Promise<unknown>): void {
  if (require.main !== mainModule) return;
  start().catch((error: unknown) => {
    process.stderr.write(`${serviceName} failed to start: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
