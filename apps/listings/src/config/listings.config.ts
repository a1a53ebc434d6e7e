import { env, exitIfUnsetInProduction, loadConfigOrExit } from '@keyhouse/platform/config';
import { serviceEnv } from '@keyhouse/platform/service';

/** A fixed key for development and tests only; production refuses it (see `loadListingsConfig`). */
export const DEVELOPMENT_LISTINGS_KEYRING = 'dev:bGlzdGluZ3MtZGV2LWtleS1ub3QtZm9yLXByb2QhISE=';

/** Environment of the listings service (see `serviceEnv`); service-specific variables follow it. */
export const listingsEnv = {
  ...serviceEnv('LISTINGS', { healthPort: 3103, schema: 'listings', dbRole: 'keyhouse_listings' }),
  /**
   * Keyring for MLS source credentials at rest: `id:base64key,id2:base64key`, each key 32 bytes.
   * The first entry is the active key (same format as IDENTITY_ENCRYPTION_KEYS).
   */
  LISTINGS_ENCRYPTION_KEYS: env.keyring(DEVELOPMENT_LISTINGS_KEYRING),
  /** How often the key-rotation job re-encrypts MLS credentials still under an older key, in milliseconds. */
  LISTINGS_REKEY_EVERY_MS: env.positiveInt(24 * 60 * 60_000, 'a period in milliseconds'),
  /** How often the MLS scheduler looks for sources due for a pull, in milliseconds. */
  LISTINGS_MLS_TICK_MS: env.positiveInt(60_000, 'a period in milliseconds'),
  /** Timeout of one HTTP request to an MLS (RESO Web API) server, in milliseconds. */
  LISTINGS_MLS_HTTP_TIMEOUT_MS: env.positiveInt(30_000, 'a timeout in milliseconds'),
  /**
   * Lets MLS sources use plain http and private, loopback or link-local addresses. Off by default
   * and in production: a source must be https to a host whose every address is public, checked
   * when it is saved and on every request of a pull (redirects included). Set `true` only for
   * tests and local development, whose MLS stand-ins listen on http://127.0.0.1.
   */
  LISTINGS_MLS_ALLOW_PRIVATE_SOURCES: env.bool(false),
};

export type ListingsConfig = ReturnType<typeof loadListingsConfig>;

export function loadListingsConfig(source: NodeJS.ProcessEnv = process.env) {
  const config = loadConfigOrExit(listingsEnv, source);
  exitIfUnsetInProduction(config.NODE_ENV, source, { LISTINGS_ENCRYPTION_KEYS: 'a keyring' });
  return config;
}

export const LISTINGS_CONFIG = Symbol('LISTINGS_CONFIG');
