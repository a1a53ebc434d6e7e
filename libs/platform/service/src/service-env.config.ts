import { env, platformEnv } from '@keyhouse/platform/config';
import { z } from 'zod';

type StringVar = z.ZodDefault<z.ZodString>;

/** The env shape `serviceEnv(prefix, ...)` returns. */
export type ServiceEnvShape<P extends string> = typeof platformEnv & {
  HEALTH_PORT: ReturnType<typeof env.port>;
  OPS_TOKEN: z.ZodOptional<z.ZodString>;
} & { [K in `${P}_DATABASE_URL` | `${P}_DATABASE_SCHEMA`]: StringVar };

/**
 * The environment every back-end service reads, for a service whose variables are prefixed
 * `<PREFIX>_` (e.g. `CRM`): the platform variables, `HEALTH_PORT`, `<PREFIX>_DATABASE_URL` (a
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
