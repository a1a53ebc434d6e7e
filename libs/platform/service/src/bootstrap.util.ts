import 'reflect-metadata';
import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { collectProcessMetrics, createLogger, PinoNestLogger } from '@keyhouse/platform/observability';

/**
 * Starts a back-end service: pino logs, process metrics, the Nest application (its NATS
 * responders and jobs start with it) and HTTP `/health/*`, `/metrics` on `healthPort` (0: any free
 * port, as tests use). Shutdown hooks drain NATS, stop the relay and close pools on SIGTERM.
 */
export async function bootstrapService(options: {
  serviceName: string;
  module: DynamicModule;
  healthPort: number;
  logLevel: string;
}): Promise<NestFastifyApplication> {
  const logger = new PinoNestLogger(createLogger(options.serviceName, options.logLevel));
  collectProcessMetrics(options.serviceName);
  const app = await NestFactory.create<NestFastifyApplication>(options.module, new FastifyAdapter(), { logger, bufferLogs: true });
  app.enableShutdownHooks();
  await app.listen(options.healthPort, '0.0.0.0');
  return app;
}

/** `main.ts` tail: start when run directly, print the stack and exit 1 on failure. */
export function runIfMain(mainModule: NodeModule, serviceName: string, start: () => Promise<unknown>): void {
  if (require.main !== mainModule) return;
  start().catch((error: unknown) => {
    process.stderr.write(`${serviceName} failed to start: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
