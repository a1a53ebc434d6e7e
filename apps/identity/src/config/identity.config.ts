import { z } from 'zod';
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
  /**
   * Failed logins for one email address from one client IP within the window that lock that IP
   * out of the address for the window (other IPs are not locked out; see the account delay below).
   */
  IDENTITY_LOCKOUT_THRESHOLD: env.positiveInt(5, 'a number of failed logins'),
  IDENTITY_LOCKOUT_WINDOW_MINUTES: env.positiveInt(15, 'a number of minutes'),
  /**
   * Failed logins for one email address from any IP within an hour after which every further
   * attempt waits a delay after the latest failure: `IDENTITY_LOGIN_DELAY_SECONDS`, doubled per
   * further failure, at most the lockout window. The owner gets an emailed sign-in link that skips it.
   */
  IDENTITY_LOGIN_ACCOUNT_FAILURES: env.positiveInt(10, 'a number of failed logins'),
  IDENTITY_LOGIN_DELAY_SECONDS: env.positiveInt(30, 'a number of seconds'),
  /** Wrong second-factor codes per account within the window (SEC-TOTP-04: 5 per 15 minutes) before codes are refused. */
  IDENTITY_MFA_MAX_FAILURES: env.positiveInt(5, 'a number of wrong codes'),
  IDENTITY_MFA_LOCKOUT_MINUTES: env.positiveInt(15, 'a number of minutes'),
  /**
   * Development and tests only: the local email adapter keeps the secrets (token, link) of the
   * messages it records, readable over NATS (`identity.local-mailbox.secrets`), never through the
   * gateway. Default: on unless `NODE_ENV=production`, where turning it on stops the service.
   */
  IDENTITY_LOCAL_MAILBOX_SECRETS: z.enum(['true', 'false', '1', '0']).optional().describe('true or false'),
};

export type IdentityConfig = ReturnType<typeof loadIdentityConfig>;

export function loadIdentityConfig(source: NodeJS.ProcessEnv = process.env) {
  const config = loadConfigOrExit(identityEnv, source);
  exitIfUnsetInProduction(config.NODE_ENV, source, { IDENTITY_ENCRYPTION_KEYS: 'a keyring' });
  const keepMailSecrets = localMailboxSecrets(config.NODE_ENV, config.IDENTITY_LOCAL_MAILBOX_SECRETS);
  if (keepMailSecrets === null) {
    process.stderr.write('Invalid configuration: IDENTITY_LOCAL_MAILBOX_SECRETS is on: expected false in production\n');
    process.exit(78);
  }
  return { ...config, IDENTITY_LOCAL_MAILBOX_SECRETS: keepMailSecrets };
}

/**
 * Whether the local mail adapter keeps message secrets: the variable when set, else on outside
 * production; `null` when it is set on in production (a configuration error).
 */
export function localMailboxSecrets(nodeEnv: string, value: string | undefined): boolean | null {
  const production = nodeEnv === 'production';
  const on = value === undefined ? !production : value === 'true' || value === '1';
  return on && production ? null : on;
}

export const IDENTITY_CONFIG = Symbol('IDENTITY_CONFIG');
