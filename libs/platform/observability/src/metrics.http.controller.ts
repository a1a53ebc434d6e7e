import { Controller, Get, Header } from '@nestjs/common';
import { collectDefaultMetrics, register } from 'prom-client';

let defaultsCollected = false;

/** Starts collecting the Node.js process metrics once per process (idempotent). */
export function collectProcessMetrics(service: string): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  register.setDefaultLabels({ service });
  collectDefaultMetrics();
}

/**
 * Prometheus text exposition format 0.0.4 of the default registry at `/metrics`, for an app whose
 * HTTP port is internal (a back-end service's `HEALTH_PORT`). An app with a public port (the
 * gateway) serves metrics on a separate `MetricsListener` instead.
 */
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
