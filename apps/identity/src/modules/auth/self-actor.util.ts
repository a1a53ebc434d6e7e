import type { Actor, RequestEnvelope } from '@keyhouse/contracts';
import type { EventContext, UnitOfWorkContext } from '@keyhouse/platform/messaging';

/** A user acting for themselves before holding a session (registration, login, links sent by email). */
export interface SelfUser {
  id: string;
  orgId: string;
  role: string;
}

/** The user as the actor of their own security events: no teams or permissions, the client's address. */
export function selfActor(user: SelfUser, client: { ip?: string; userAgent?: string } = {}): Actor {
  return {
    type: 'user',
    userId: user.id,
    orgId: user.orgId,
    role: user.role,
    teamIds: [],
    permissions: [],
    ip: client.ip,
    userAgent: client.userAgent,
  };
}

/** Event context of a request whose acting user is known before the unit of work starts (login, register). */
export function selfContext(envelope: RequestEnvelope, user: SelfUser, client: { ip?: string; userAgent?: string } = {}): EventContext {
  return { actor: selfActor(user, client), requestId: envelope.requestId, traceparent: envelope.traceparent };
}

/**
 * Makes `user` the actor of the events `unit` emits from now on (`UnitOfWorkContext.actAs`), for a
 * request whose user is found only inside the transaction (by a reset, verification or MFA token).
 */
export function actAs(unit: UnitOfWorkContext, user: SelfUser, client: { ip?: string; userAgent?: string } = {}): void {
  unit.actAs(selfActor(user, client));
}
