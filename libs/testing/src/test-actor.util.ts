import type { Actor } from '@keyhouse/contracts';
import { newId } from '@keyhouse/util';

/** What a test says about an actor; the rest of `Actor` is filled in by `actorFor`. */
export interface TestActorInput {
  orgId: string;
  /** Role key (`owner`, `agent`, a custom role key); only recorded, never expanded into permissions. */
  role: string;
  /** `resource:action:scope` strings, exactly what the service checks (`audit:read:org`). */
  permissions: readonly string[];
  /** Default: a new UUIDv7. */
  userId?: string;
  /** Default: none. */
  teamIds?: string[];
}

/**
 * A user actor as the gateway puts it in a request envelope, for calling a service directly over
 * NATS (`TestService.rpc.call`). The permissions are taken as given: a test states what the actor
 * may do instead of deriving it from identity's role table. Frozen, as the gateway's actors are.
 */
export function actorFor(input: TestActorInput): Actor {
  return Object.freeze({
    type: 'user' as const,
    userId: input.userId ?? newId(),
    orgId: input.orgId,
    role: input.role,
    teamIds: input.teamIds ?? [],
    permissions: Object.freeze([...input.permissions]),
  });
}

/** What a test says about an API key; see `apiKeyActorFor`. */
export interface TestApiKeyInput {
  orgId: string;
  /** The key's scopes (`leads:write:org`), exactly what the service checks. */
  permissions: readonly string[];
  /** Default: a new UUIDv7. */
  apiKeyId?: string;
  /** The user who created the key (the gateway's `userId` of an API-key actor). Default: a new UUIDv7. */
  userId?: string;
}

/**
 * An API-key actor as the gateway builds it from a verified key (`type: 'api_key'`, role
 * `api_key`, no teams, the key's scopes as permissions), for calling a service directly over NATS.
 * Frozen.
 */
export function apiKeyActorFor(input: TestApiKeyInput): Actor {
  return Object.freeze({
    type: 'api_key' as const,
    apiKeyId: input.apiKeyId ?? newId(),
    userId: input.userId ?? newId(),
    orgId: input.orgId,
    role: 'api_key',
    teamIds: [],
    permissions: Object.freeze([...input.permissions]),
  });
}
