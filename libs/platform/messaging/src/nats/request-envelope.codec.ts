import { decodePermissions, encodePermissions, type Actor, type RequestEnvelope } from '@keyhouse/contracts';

/**
 * The request envelope as it travels over NATS (docs/adr/0024-compact-actor-permissions-on-the-wire.md):
 * the JSON of `RequestEnvelope`, except that the actor's `permissions` are sent as the code of
 * `encodePermissions` (a string of one digit per catalogue pair, ≈ 37 bytes) instead of the list
 * (≈ 700 bytes for an owner), whenever every permission is in the catalogue. Receivers accept both
 * forms, so a sender with the list (an older build, a test) is still understood.
 */

/** JSON of actors written before: the gateway reuses one frozen actor per token and client. */
const actorJsonCache = new WeakMap<Actor, string>();

/** The wire JSON of an actor; cached for frozen actors (a mutable one could change afterwards). */
export function actorWireJson(actor: Actor): string {
  let json = actorJsonCache.get(actor);
  if (json === undefined) {
    const code = encodePermissions(actor.permissions);
    json = JSON.stringify(code === null ? actor : { ...actor, permissions: code });
    if (Object.isFrozen(actor)) actorJsonCache.set(actor, json);
  }
  return json;
}

/**
 * The wire text of `envelope`: `{"actor":…,"requestId":…,"traceparent":…,"idempotencyKey":…,"data":…}`,
 * members that are `undefined` left out as `JSON.stringify` does. Written out so that a reused actor
 * is serialized once, not per request.
 */
export function requestEnvelopeJson(envelope: RequestEnvelope): string {
  const { actor, requestId, traceparent, idempotencyKey, data } = envelope;
  let json = `{"actor":${actor ? actorWireJson(actor) : 'null'},"requestId":${JSON.stringify(requestId)}`;
  if (traceparent !== undefined) json += `,"traceparent":${JSON.stringify(traceparent)}`;
  if (idempotencyKey !== undefined) json += `,"idempotencyKey":${JSON.stringify(idempotencyKey)}`;
  const body = JSON.stringify(data) as string | undefined;
  return body === undefined ? `${json}}` : `${json},"data":${body}}`;
}

/** Decoded permission lists by code; a process sees a handful of roles, the bound is a safeguard. */
const decodedPermissions = new Map<string, readonly string[]>();
const DECODED_PERMISSIONS_MAX = 1024;

/**
 * Parses the wire text of a request envelope into a `RequestEnvelope` whose actor carries its
 * permission list again. Lists decoded from a code are frozen and shared by every request with the
 * same code: handlers must not change them (they never need to).
 *
 * @throws SyntaxError when `text` is not JSON; Error when a permission code is malformed.
 */
export function parseRequestEnvelope(text: string): RequestEnvelope {
  const envelope = JSON.parse(text) as RequestEnvelope;
  const actor = envelope.actor as (Omit<Actor, 'permissions'> & { permissions: readonly string[] | string }) | null;
  if (actor && typeof actor.permissions === 'string') {
    let permissions = decodedPermissions.get(actor.permissions);
    if (permissions === undefined) {
      permissions = Object.freeze(decodePermissions(actor.permissions));
      if (decodedPermissions.size >= DECODED_PERMISSIONS_MAX) decodedPermissions.clear();
      decodedPermissions.set(actor.permissions, permissions);
    }
    actor.permissions = permissions;
  }
  return envelope;
}
