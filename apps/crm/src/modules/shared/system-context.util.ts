import type { EventContext } from '@keyhouse/platform/messaging';

/**
 * The event context of crm's own scheduled work (speed-to-lead re-routing, score refresh): the
 * system acting for `orgId`, correlated by `requestId` (`<job>:<id>`). Events carry
 * `actortype: system` and no actor id; timeline entries have no actor.
 */
export function systemContext(orgId: string, requestId: string): EventContext {
  return { actor: { type: 'system', orgId, role: 'system', teamIds: [], permissions: [] }, requestId };
}
