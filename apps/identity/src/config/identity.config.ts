import { env, exitIfUnsetInProduction, loadConfigOrExit } from '@keyhouse/platform/config';
import { serviceEnv } from '@keyhouse/platform/service';

/** A fixed key for development and tests only; production refuses it (see `loadIdentityConfig`). */
export const DEVELOPMENT_ENCRYPTION_KEYRING = 'dev:a2V5aG91c2UtZGV2LWtleS1ub3QtZm9yLXByb2QtISE=';

export const identityEnv = {
  ...serviceEnv('IDENTITY', { healthPort: 3101, schema: 'identity', dbRole: 'keyhouse_identity' }),
  /**
   * Keyring for secrets at rest (signing keys, TOTP seeds): `id:base64key,id2:base64key`, each key
   * 32 bytes. The first entry is the active key.
   */
  IDENTITY_ENCRYPTION_KEYS: env.keyring(DEVELOPMENT_ENCRYPTION_KEYRING),
  /** Public URL of the web app, used in links sent by email. */
  IDENTITY_PUBLIC_APP_URL: env.string('http://localhost:3000', 'the public URL of the app'),
  /** Argon2id memory cost in KiB (OWASP: ≥ 19 456), time cost and parallelism. */
  IDENTITY_ARGON2_MEMORY_KIB: env.positiveInt(19456, 'an integer ≥ 19456 (KiB)'),
  IDENTITY_ARGON2_TIME_COST: env.positiveInt(2, 'an integer ≥ 2'),
  /** Failed logins for one email address within the window that lock it. */
  IDENTITY_LOCKOUT_THRESHOLD: env.positiveInt(5, 'a number of failed logins'),
  IDENTITY_LOCKOUT_WINDOW_MINUTES: env.positiveInt(15, 'a number of minutes'),
};

export type IdentityConfig = ReturnType<typeof loadIdentityConfig>;

export function loadIdentityConfig(source: NodeJS.ProcessEnv = process.env) {
  const config = loadConfigOrExit(identityEnv, source);
  exitIfUnsetInProduction(config.NODE_ENV, source, { IDENTITY_ENCRYPTION_KEYS: 'a keyring' });
  return config;
}

export const IDENTITY_CONFIG = Symbol('IDENTITY_CONFIG');
