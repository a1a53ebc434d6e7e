import 'reflect-metadata';
import type { ServerResponse } from 'node:http';
import { type INestApplication, RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiExcludeController, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { PUBLIC_ROUTE } from '@keyhouse/platform/auth';
import { collectProcessMetrics, createLogger, HealthController, PinoNestLogger } from '@keyhouse/platform/observability';
import { GatewayAppModule, GATEWAY_SERVICE_NAME } from './app.module';
import { loadGatewayConfig, trustProxyOption } from './config/gateway.config';
import { clientErrorProblem, frameworkErrorProblem, writeProblem } from './platform/framework-problems.util';
import { registerHttpHooks } from './platform/http-hooks.util';
import { registerInputHygiene } from './platform/input-hygiene.util';
import { enableCorsAllowlist, securityHeaders } from './platform/security-headers.util';
import { registerUploadParsers } from './platform/upload-parsers.util';
import { createValidationPipe } from './platform/validation.pipe';

// Health is an infrastructure endpoint: no credentials, no rate limit. Metrics are not on this
// port at all: the internal MetricsListener serves them on METRICS_PORT.
Reflect.defineMetadata(PUBLIC_ROUTE, true, HealthController);
ApiExcludeController()(HealthController);

/** Builds the OpenAPI 3 document of the public API from the controllers and DTOs. */
export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Keyhouse API')
    .setDescription(
      'CRM for real-estate brokerages. Errors are RFC 9457 problem details (application/problem+json) with a stable `code` ' +
        'and `errors[]` naming invalid fields. Lists use cursor pagination (`limit` ≤ 100, `cursor` = previous `nextCursor`). ' +
        'Creating POSTs honour `Idempotency-Key` for 24 h. Money is in integer cents and rates in basis points.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, 'apiKey')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Every API route lives under `/v1`; health stays at the root. */
function applyApiPrefix(app: INestApplication): void {
  app.setGlobalPrefix('v1', {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
    ],
  });
}

/**
 * The OpenAPI document without starting anything: Nest's preview mode builds the module graph
 * but instantiates no provider, so no NATS, Redis or database is needed (`deploy/api-docs.js`).
 */
export async function createOpenApiDocument(env: NodeJS.ProcessEnv = {}): Promise<OpenAPIObject> {
  const app = await NestFactory.create<NestFastifyApplication>(GatewayAppModule.forRoot(loadGatewayConfig(env)), new FastifyAdapter(), {
    preview: true,
    logger: false,
  });
  applyApiPrefix(app);
  const document = buildOpenApiDocument(app);
  await app.close();
  return document;
}

/**
 * Starts the gateway on `PORT` (all interfaces): `/v1/...` API, `/docs` (Swagger UI) and
 * `/docs-json`, `/health/live`, `/health/ready`; `/metrics` there answers 404. Prometheus
 * `/metrics` is served only by the internal listener on `METRICS_HOST:METRICS_PORT`
 * (`metricsListenerOptions`; the app's `MetricsListener` gives the bound address).
 */
export async function startGateway(env: NodeJS.ProcessEnv = process.env): Promise<NestFastifyApplication> {
  const config = loadGatewayConfig(env);
  const pino = createLogger(GATEWAY_SERVICE_NAME, config.LOG_LEVEL);
  collectProcessMetrics(GATEWAY_SERVICE_NAME);
  const adapter = new FastifyAdapter({
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: trustProxyOption(config.TRUSTED_PROXIES),
    // Problem details come from our filter; Fastify's own request logging is replaced by ours.
    logger: false,
    return503OnClosing: true,
    // Errors raised before any route runs are problem details too (issue 13, input hygiene).
    frameworkErrors: (error: Error, request: { url: string }, reply: { raw: ServerResponse }) =>
      writeProblem(reply.raw, frameworkErrorProblem(error, request.url)),
    clientErrorHandler: clientErrorProblem,
  });
  registerHttpHooks(adapter.getInstance(), pino, securityHeaders({ hstsMaxAgeSeconds: config.HSTS_MAX_AGE_SECONDS }));
  registerInputHygiene(adapter.getInstance());
  const app = await NestFactory.create<NestFastifyApplication>(GatewayAppModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(pino),
    bufferLogs: true,
  });
  enableCorsAllowlist(app, config.CORS_ALLOWED_ORIGINS);
  await registerUploadParsers(app, { csvBytes: config.CSV_BODY_LIMIT_BYTES, fileSizeBytes: config.UPLOAD_LIMIT_BYTES });
  applyApiPrefix(app);
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  if (config.OPENAPI_ENABLED) {
    SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json', useGlobalPrefix: false });
  }
  await app.listen(config.PORT, '0.0.0.0');
  return app;
}

if (require.main === module) {
  startGateway().catch((error: unknown) => {
    process.stderr.write(`gateway failed to start: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
