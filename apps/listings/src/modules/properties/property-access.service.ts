import { Injectable } from '@nestjs/common';
import { expressionBuilder, sql, type Expression, type SqlBool } from 'kysely';
import { IdentityUserSubjects, type Actor, type RequestEnvelope, type UserView } from '@keyhouse/contracts';
import { requireScope, scopeOf } from '@keyhouse/platform/auth';
import { DomainException, RpcClient } from '@keyhouse/platform/messaging';
import { ListingsErrorCode } from '../../listings.exception';
import { MARKETED_STATUSES } from './property.mapper';
import type { PropertyTables } from './property.row';

/**
 * Who may see and change which listings (docs/adr/0011):
 * - `listings:read` at `team` or `org` scope: every listing of the organization (agents and
 *   managers search the whole brokerage's inventory); at `own` scope (clients of the portal):
 *   only listings on the market (Coming Soon, Active, Active Under Contract, Pending) that are
 *   shared with the client's own crm contact — an explicit share, an interest record or a
 *   saved-search match (docs/adr/0019). The client ↔ contact link is the `client_contact` read
 *   model fed by `identity.user.created`; a client without a linked contact sees nothing.
 * - `listings:write`: `org` any listing; `team` listings whose list agent is the caller or in
 *   one of the caller's teams; `own` listings whose list agent is the caller. Team membership is
 *   identity's: the check asks identity for the agent with the caller's own rights
 *   (`identity.users.get` answers only users the caller may see, i.e. their team's).
 */
@Injectable()
export class PropertyAccess {
  constructor(private readonly rpc: RpcClient) {}

  /**
   * The condition restricting `property p` to what the actor may read, for the query builder
   * (`.where(access.readCondition(actor))` in any query naming the table `p`): `TRUE` at team or
   * org scope; at own scope a marketed listing shared with the client's contact.
   *
   * @throws DomainException 403 without `listings:read`.
   */
  readCondition(actor: Actor): Expression<SqlBool> {
    const scope = requireScope(actor, 'listings:read');
    const eb = expressionBuilder<PropertyTables, 'p'>();
    if (scope !== 'own') return sql<SqlBool>`TRUE`;
    return eb.and([
      eb('p.standard_status', '=', eb.fn.any(sql<string[]>`${[...MARKETED_STATUSES]}::text[]`)),
      eb.exists(
        eb
          .selectFrom('client_contact as cc')
          .select(sql<number>`1`.as('one'))
          .where('cc.user_id', '=', sql<string>`${actor.userId ?? null}::uuid`)
          .whereRef('cc.org_id', '=', 'p.org_id')
          .where((inner) =>
            inner.or([
              inner.exists(
                inner
                  .selectFrom('property_share as s')
                  .select(sql<number>`1`.as('one'))
                  .whereRef('s.org_id', '=', 'cc.org_id')
                  .whereRef('s.contact_id', '=', 'cc.contact_id')
                  .whereRef('s.property_id', '=', 'p.id'),
              ),
              inner.exists(
                inner
                  .selectFrom('contact_listing as cl')
                  .select(sql<number>`1`.as('one'))
                  .whereRef('cl.org_id', '=', 'cc.org_id')
                  .whereRef('cl.contact_id', '=', 'cc.contact_id')
                  .whereRef('cl.property_id', '=', 'p.id'),
              ),
              inner.exists(
                inner
                  .selectFrom('saved_search_match as m')
                  .select(sql<number>`1`.as('one'))
                  .whereRef('m.org_id', '=', 'cc.org_id')
                  .whereRef('m.contact_id', '=', 'cc.contact_id')
                  .whereRef('m.property_id', '=', 'p.id'),
              ),
            ]),
          ),
      ),
    ]);
  }

  /** Throws 403 `NOT_LIST_AGENT` unless the actor may change a listing with this list agent. */
  async assertMayWrite(envelope: RequestEnvelope, listAgentId: string | null): Promise<void> {
    const actor = envelope.actor!;
    const scope = requireScope(actor, 'listings:write');
    if (scope === 'org') return;
    if (listAgentId && listAgentId === actor.userId) return;
    if (scope === 'team' && listAgentId && (await this.teamMate(envelope, listAgentId))) return;
    throw DomainException.forbidden(
      ListingsErrorCode.NotListAgent,
      'Only the listing agent, their manager or an administrator may change this listing',
    );
  }

  /**
   * Checks that the actor may make `agentId` the list agent: themselves always; a team member at
   * team scope; any active user of the organization at org scope (else 422 `UNKNOWN_LIST_AGENT`).
   */
  async assertMayAssign(envelope: RequestEnvelope, agentId: string): Promise<void> {
    const actor = envelope.actor!;
    const scope = requireScope(actor, 'listings:write');
    if (agentId === actor.userId) return;
    if (scope === 'own') {
      throw DomainException.forbidden(ListingsErrorCode.NotListAgent, 'You can only list properties under your own name');
    }
    const user = await this.lookUp(envelope, agentId);
    if (scope === 'team' && !user) {
      throw DomainException.forbidden(ListingsErrorCode.NotListAgent, 'The list agent must be in one of your teams');
    }
    if (!user || user.status === 'deactivated') {
      throw new DomainException(
        'unprocessable',
        ListingsErrorCode.UnknownListAgent,
        'The list agent is not an active user of this organization',
        [{ field: 'listAgentId', message: 'is not an active user of this organization' }],
      );
    }
  }

  /** The actor has `listings:write` at org scope (bulk import, MLS, webhook). */
  requireOrgWrite(actor: Actor | null): void {
    requireScope(actor, 'listings:write', 'org');
  }

  isClient(actor: Actor): boolean {
    return scopeOf(actor, 'listings:read') === 'own';
  }

  private async teamMate(envelope: RequestEnvelope, userId: string): Promise<boolean> {
    const actor = envelope.actor!;
    if (actor.teamIds.length === 0) return false;
    const user = await this.lookUp(envelope, userId);
    return !!user && user.teamIds.some((teamId) => actor.teamIds.includes(teamId));
  }

  /** The user as identity shows it to the actor, or null when identity refuses or does not know them. */
  private async lookUp(envelope: RequestEnvelope, userId: string): Promise<UserView | null> {
    try {
      return await this.rpc.request(
        IdentityUserSubjects.get,
        { actor: envelope.actor, requestId: envelope.requestId, traceparent: envelope.traceparent, data: { id: userId } },
        { retries: 1 },
      );
    } catch (error) {
      if (error instanceof DomainException && (error.kind === 'not_found' || error.kind === 'forbidden' || error.kind === 'validation'))
        return null;
      throw error;
    }
  }
}
