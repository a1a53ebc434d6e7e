import { env, loadConfigOrExit, platformEnv } from '@keyhouse/platform/config';
import { z } from 'zod';

export const gatewayEnv = {
  ...platformEnv,
  /** Public HTTP port (all interfaces): the `/v1` API, `/docs`, `/docs-json`, `/health/live`, `/health/ready` (default 3000). */
  PORT: env.port(3000),
  /**
   * Port of the internal metrics listener, which serves only Prometheus `GET /metrics` (never on
   * PORT). Default `DEFAULT_METRICS_PORT` (9464); when unset and PORT is 0 (a throwaway instance,
   * as the tests start), 0 as well: any free port. See `metricsListenerOptions`.
   */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional().describe('a TCP port number (0-65535)'),
  /**
   * Interface the metrics listener binds to: `127.0.0.1` (default, this machine only) or `0.0.0.0`
   * in a container so that Prometheus can scrape it (k8s, docker-compose set it).
   */
  METRICS_HOST: env.string('127.0.0.1', 'an interface address such as 127.0.0.1 or 0.0.0.0'),
  /** Largest accepted request body in bytes (default 1 MiB). */
  BODY_LIMIT_BYTES: env.positiveInt(1024 * 1024, 'a size in bytes'),
  /** Largest `text/csv` body (contact and listing imports), bytes. */
  CSV_BODY_LIMIT_BYTES: env.positiveInt(16 * 1024 * 1024, 'a size in bytes'),
  /** Largest uploaded file (`multipart/form-data`), bytes. */
  UPLOAD_LIMIT_BYTES: env.positiveInt(25 * 1024 * 1024, 'a size in bytes'),
  /**
   * Proxies whose `X-Forwarded-For` is trusted (Fastify `trustProxy`): a hop count or a
   * comma-separated list of addresses/CIDRs. Default: trust none, use the socket address.
   */
  TRUSTED_PROXIES: z.string().default('').describe('a number of hops or a comma-separated list of proxy IPs/CIDRs'),
  /** Requests per minute: per user (authenticated), per IP (anonymous), per IP on auth and public routes. */
  RATE_LIMIT_USER_PER_MINUTE: env.positiveInt(1200, 'a number of requests per minute'),
  RATE_LIMIT_IP_PER_MINUTE: env.positiveInt(600, 'a number of requests per minute'),
  RATE_LIMIT_AUTH_PER_MINUTE: env.positiveInt(30, 'a number of requests per minute'),
  RATE_LIMIT_PUBLIC_PER_MINUTE: env.positiveInt(60, 'a number of requests per minute'),
  /** Lifetime of a stored `Idempotency-Key` response in hours (default 24). */
  IDEMPOTENCY_TTL_HOURS: env.positiveInt(24, 'a number of hours'),
  /**
   * Seconds an `Idempotency-Key` stays claimed by a request still running without being renewed
   * (renewed every third of it while the request runs): a gateway killed mid-request frees the
   * key after at most this long, so the client's retry runs instead of meeting 409 for a day.
   */
  IDEMPOTENCY_LEASE_SECONDS: env.positiveInt(10, 'a number of seconds'),
  /** Seconds a resolved API key is trusted before identity is asked again (bounds revocation delay). */
  API_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(30).describe('a number of seconds (0-300)'),
  /** Serve Swagger UI at /docs and the OpenAPI document at /docs-json. */
  OPENAPI_ENABLED: env.bool(true),
  /**
   * Browser origins allowed to call the API (CORS), comma-separated, exactly as the browser sends
   * them (`https://app.example.com`). Empty (default): no cross-origin browser access.
   */
  CORS_ALLOWED_ORIGINS: z.string().default('').describe('a comma-separated list of origins such as https://app.example.com'),
  /** `Strict-Transport-Security` max-age in seconds (default one year, RFC 6797); 0 turns the header off (plain-HTTP development). */
  HSTS_MAX_AGE_SECONDS: z.coerce.number().int().min(0).default(31_536_000).describe('a number of seconds'),
};

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(source: NodeJS.ProcessEnv = process.env) {
  return loadConfigOrExit(gatewayEnv, source);
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

/** Metrics port when METRICS_PORT is unset (the Prometheus exporter port of OpenTelemetry). */
export const DEFAULT_METRICS_PORT = 9464;

/**
 * Host and port of the internal metrics listener: METRICS_HOST and METRICS_PORT; an unset
 * METRICS_PORT is `DEFAULT_METRICS_PORT`, or 0 (any free port) when PORT is 0, so that several
 * throwaway gateways on one machine never contend for one metrics port.
 */
export function metricsListenerOptions(config: Pick<GatewayConfig, 'PORT' | 'METRICS_PORT' | 'METRICS_HOST'>): {
  port: number;
  host: string;
} {
  return { port: config.METRICS_PORT ?? (config.PORT === 0 ? 0 : DEFAULT_METRICS_PORT), host: config.METRICS_HOST };
}

/** Parses CORS_ALLOWED_ORIGINS into the list of allowed origins (trailing slashes removed). */
export function corsOrigins(value: string): string[] {
  return value
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter(Boolean);
}

/** Parses TRUSTED_PROXIES into Fastify's `trustProxy` option. */
export function trustProxyOption(value: string): boolean | number | string[] {
  if (value.trim() === '') return false;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}
