import { env, platformEnv } from '@keyhouse/platform/config';
import { z } from 'zod';

type StringVar = z.ZodDefault<z.ZodString>;

/** The env shape `serviceEnv(prefix, ...)` returns. */
export type ServiceEnvShape<P extends string> = typeof platformEnv & {
  HEALTH_PORT: ReturnType<typeof env.port>;
  HTTP_HOST: StringVar;
  OPS_TOKEN: z.ZodOptional<z.ZodString>;
} & { [K in `${P}_DATABASE_URL` | `${P}_DATABASE_SCHEMA`]: StringVar };

/**
 * Interface a back-end service's HTTP server (health, metrics, operators' routes) binds to when
 * `HTTP_HOST` is unset: loopback, so a service started on a workstation is not reachable from
 * the network. Containers set `HTTP_HOST=0.0.0.0` (k8s Deployments, docker-compose.yml).
 */
export const DEFAULT_SERVICE_HTTP_HOST = '127.0.0.1';

/** Nest token under which `ServiceCoreModule` provides the service's `HTTP_HOST` (a string) to `bootstrapService`. */
export const SERVICE_HTTP_HOST = Symbol('SERVICE_HTTP_HOST');

/**
 * The environment every back-end service reads, for a service whose variables are prefixed
 * `<PREFIX>_` (e.g. `CRM`): the platform variables, `HEALTH_PORT`, `HTTP_HOST` (the interface
 * of the HTTP server on HEALTH_PORT, default `DEFAULT_SERVICE_HTTP_HOST` = 127.0.0.1; 0.0.0.0 in
 * containers), `<PREFIX>_DATABASE_URL` (a
 * postgres:// URL for the service's own role), `<PREFIX>_DATABASE_SCHEMA`, and `OPS_TOKEN` (a bearer
 * token of ≥ 24 characters for the operators' routes on HEALTH_PORT; unset disables them). The names
 * match what `deploy/infra.js` writes to `tmp/infra.env`; defaults match `deploy/services.js`.
 */
export function serviceEnv<P extends string>(
  prefix: P,
  defaults: { healthPort: number; schema: string; dbRole: string },
): ServiceEnvShape<P> {
  return {
    ...platformEnv,
    HEALTH_PORT: env.port(defaults.healthPort),
    HTTP_HOST: env.string(DEFAULT_SERVICE_HTTP_HOST, 'an interface address such as 127.0.0.1 or 0.0.0.0'),
    [`${prefix}_DATABASE_URL`]: env.string(
      `postgres://${defaults.dbRole}@127.0.0.1:5432/keyhouse`,
      `a postgres:// URL for the ${defaults.dbRole} role`,
    ),
    [`${prefix}_DATABASE_SCHEMA`]: env.string(defaults.schema, 'a Postgres schema name'),
    OPS_TOKEN: z.string().min(24).optional().describe('a random token of at least 24 characters'),
  } as ServiceEnvShape<P>;
}

/** The platform part of any service's loaded configuration. */
export type PlatformConfig = z.infer<z.ZodObject<typeof platformEnv>>;

/**
 * What `ServiceCoreModule` reads from a service's configuration: the platform variables and, from
 * `serviceEnv`, `HTTP_HOST` (absent: `DEFAULT_SERVICE_HTTP_HOST`).
 */
export type ServicePlatformConfig = PlatformConfig & { HTTP_HOST?: string };
