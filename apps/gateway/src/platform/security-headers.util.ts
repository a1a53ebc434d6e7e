import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { corsOrigins } from '../config/gateway.config';

/** Response headers every answer carries (the values `@fastify/helmet` would set for a JSON API). */
export interface SecurityHeaders {
  /** For every answer. */
  all: Readonly<Record<string, string>>;
  /** Added outside the Swagger UI (`/docs`), whose page needs its own scripts and styles. */
  api: Readonly<Record<string, string>>;
}

/**
 * The security headers of a JSON API that carries tokens and personal data (issue 13 item 10; OWASP
 * Secure Headers Project and REST Security Cheat Sheet): `Strict-Transport-Security` (RFC 6797,
 * `hstsMaxAgeSeconds` with subdomains; none at 0), `X-Content-Type-Options: nosniff`,
 * `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY`, and on the API
 * `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'` and
 * `Cache-Control: no-store` (a route may set its own `Cache-Control`, which then wins), so no proxy
 * or browser cache keeps a token or a contact. Computed once: `registerHttpHooks` sets them in the
 * request hook it already runs, which costs one `reply.headers()` per request instead of helmet's
 * extra hooks (docs/adr/0028: the read path's budget).
 */
export function securityHeaders(options: { hstsMaxAgeSeconds: number }): SecurityHeaders {
  return {
    all: Object.freeze({
      ...(options.hstsMaxAgeSeconds > 0 ? { 'strict-transport-security': `max-age=${options.hstsMaxAgeSeconds}; includeSubDomains` } : {}),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    }),
    api: Object.freeze({
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'cache-control': 'no-store',
    }),
  };
}

/**
 * CORS for the configured browser origins only (`CORS_ALLOWED_ORIGINS`, through Nest's
 * `enableCors` = `@fastify/cors`): they get `Access-Control-Allow-*` for the API's methods and
 * headers; any other origin gets no grant. With none configured nothing is registered (no
 * cross-origin browser access, and no per-request cost).
 */
export function enableCorsAllowlist(app: NestFastifyApplication, allowedOrigins: string): void {
  const origins = corsOrigins(allowedOrigins);
  if (origins.length === 0) return;
  app.enableCors({
    origin: origins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    credentials: false,
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-api-key', 'x-request-id', 'traceparent'],
    exposedHeaders: ['x-request-id', 'retry-after'],
    maxAge: 600,
  });
}
