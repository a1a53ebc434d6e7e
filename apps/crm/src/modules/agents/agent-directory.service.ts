import { Injectable, Logger } from '@nestjs/common';
import { sql } from 'kysely';
import { IdentityUserSubjects, type Actor, type AgentView, type RequestEnvelope } from '@keyhouse/contracts';
import { kyselyFor, type SqlRunner } from '@keyhouse/platform/database';
import { DomainException, RpcClient } from '@keyhouse/platform/messaging';
import { requestLogFields } from '@keyhouse/platform/observability';
import { isUuid } from '@keyhouse/util';
import { CrmErrorCode } from '../../crm.exception';
import type { CrmDb } from '../../database/crm.db';
import { upsertAgent, upsertOrgUser } from './org-user-upsert.util';

/** A user of the identity read model as the crm's checks read it. */
export interface DirectoryUser {
  userId: string;
  /** `active`, `invited` or `deactivated`. */
  status: string;
  teamIds: string[];
  isAgent: boolean;
}

/** The request the look-up serves: its organization (`actor.orgId`), request id and trace context go on to identity. */
export type DirectoryRequest = Pick<RequestEnvelope, 'actor' | 'requestId' | 'traceparent'>;

/**
 * Read-your-writes for identity's users in the crm (issue 13 item 14). The read model `org_user`
 * learns a new user from `identity.events` a fraction of a second after identity created them; a
 * check that does not find a user there asks identity over NATS (`identity.agents.get` /
 * `identity.users.get`) before refusing, writes identity's answer into the read model (the same
 * upsert the consumer applies, so the later event changes nothing) and refuses only when identity
 * says the user is not one of the organization's (agents).
 *
 * Identity is asked by the crm itself: a system actor of the caller's organization holding
 * `agents:read:org` / `users:read:org`, since the read model mirrors the whole organization
 * whoever the caller is (the crm then applies the caller's scope to the row, as it does for rows
 * the events wrote). Identity's answer is org-scoped: another organization's user is "not found".
 */
@Injectable()
export class AgentDirectory {
  private readonly logger = new Logger(AgentDirectory.name);

  constructor(private readonly rpc: RpcClient) {}

  /**
   * Throws unless every id of `agentIds` is an agent (`is_agent`) of `request.actor.orgId`:
   * 400 `UNKNOWN_AGENT` naming `field` and the unknown ids. Ids the read model lacks are asked
   * of identity (in parallel) and, when identity knows them, stored.
   *
   * @throws DomainException 400 `UNKNOWN_AGENT` (also when identity cannot answer: the read model
   *   decides alone then).
   */
  async requireAgents(runner: SqlRunner, request: DirectoryRequest, agentIds: readonly string[], field: string): Promise<void> {
    if (agentIds.length === 0) return;
    const orgId = request.actor!.orgId;
    const ids = agentIds.filter(isUuid);
    const rows =
      ids.length === 0
        ? []
        : await kyselyFor<CrmDb>(runner)
            .selectFrom('org_user')
            .select('user_id')
            .where('org_id', '=', orgId)
            .where('user_id', '=', (eb) => eb.fn.any(sql<string[]>`${ids}::uuid[]`))
            .where('is_agent', '=', true)
            .execute();
    const known = new Set(rows.map((row) => row.user_id));
    const missing = agentIds.filter((id) => !known.has(id));
    // Identity is asked in parallel; the rows are written one after the other (one transaction's connection).
    const answers = await Promise.all(missing.map((id) => this.fetchAgent(request, id)));
    const unknown: string[] = [];
    for (const [index, agent] of answers.entries()) {
      if (agent) await upsertAgent(kyselyFor<CrmDb>(runner), orgId, { ...agent, profile: agent });
      else unknown.push(missing[index]);
    }
    if (unknown.length > 0) {
      throw new DomainException('validation', CrmErrorCode.UnknownAgent, 'Unknown agent', [
        { field, message: `names users that are not agents here: ${unknown.join(', ')}` },
      ]);
    }
  }

  /**
   * The user `userId` of `request.actor.orgId` when their status is one of `statuses`, else
   * undefined. A user the read model lacks, or holds with another status (a change not consumed
   * yet), is asked of identity and stored from its answer (the read model decides alone when
   * identity cannot answer).
   */
  async user(
    runner: SqlRunner,
    request: DirectoryRequest,
    userId: string,
    statuses: readonly string[],
  ): Promise<DirectoryUser | undefined> {
    if (!isUuid(userId)) return undefined;
    const local = await this.localUser(runner, request.actor!.orgId, userId);
    if (local && statuses.includes(local.status)) return local;
    if (!(await this.fetchUser(runner, request, userId))) return undefined;
    const stored = await this.localUser(runner, request.actor!.orgId, userId);
    return stored && statuses.includes(stored.status) ? stored : undefined;
  }

  private async localUser(runner: SqlRunner, orgId: string, userId: string): Promise<DirectoryUser | undefined> {
    const row = await kyselyFor<CrmDb>(runner)
      .selectFrom('org_user')
      .select(['user_id', 'status', 'team_ids', 'is_agent'])
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row && { userId: row.user_id, status: row.status, teamIds: row.team_ids, isAgent: row.is_agent };
  }

  /** Identity's agent `userId` of the caller's organization, or null when identity does not know them as one. */
  private async fetchAgent(request: DirectoryRequest, userId: string): Promise<AgentView | null> {
    if (!isUuid(userId)) return null;
    const agent = await this.ask(request, () =>
      this.rpc.request(IdentityUserSubjects.agentGet, this.envelope(request, { id: userId }), { retries: 1 }),
    );
    return agent && agent.orgId === request.actor!.orgId && agent.userId === userId ? agent : null;
  }

  /** Asks identity for the user; stores and answers true when it is one of the organization's, false when identity does not know it. */
  private async fetchUser(runner: SqlRunner, request: DirectoryRequest, userId: string): Promise<boolean> {
    const orgId = request.actor!.orgId;
    const user = await this.ask(request, () =>
      this.rpc.request(IdentityUserSubjects.get, this.envelope(request, { id: userId }), { retries: 1 }),
    );
    if (!user || user.orgId !== orgId || user.id !== userId) return false;
    await upsertOrgUser(kyselyFor<CrmDb>(runner), orgId, { ...user, userId: user.id });
    return true;
  }

  /**
   * Identity's answer; null when it says the user is none of the organization's (404, or a
   * malformed id), and null too when it cannot answer (no responder, timeout): the read model's
   * own answer then stands, as before the look-up existed (logged as a warning).
   */
  private async ask<T>(request: DirectoryRequest, call: () => Promise<T>): Promise<T | null> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof DomainException)) throw error;
      if (error.kind === 'not_found' || error.kind === 'validation') return null;
      if (error.kind === 'unavailable' || error.kind === 'timeout') {
        this.logger.warn({ ...requestLogFields(request), err: error }, 'Identity did not answer; the read model decides');
        return null;
      }
      throw error;
    }
  }

  private envelope<T>(request: DirectoryRequest, data: T): RequestEnvelope<T> {
    return {
      actor: directoryActor(request.actor!.orgId),
      requestId: request.requestId,
      ...(request.traceparent ? { traceparent: request.traceparent } : {}),
      data,
    };
  }
}

/** The crm asking identity about the organization's users: the system, reading users and agents org-wide. */
function directoryActor(orgId: string): Actor {
  return { type: 'system', orgId, role: 'system', teamIds: [], permissions: ['users:read:org', 'agents:read:org'] };
}
