import { env, loadConfigOrExit, platformEnv } from '@keyhouse/platform/config';
import { z } from 'zod';

export const gatewayEnv = {
  ...platformEnv,
  PORT: env.port(3000),
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
