import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';
import {
  CrmContactEvent,
  CrmContactSubjects as S,
  type CrmAssignmentRuleInput,
  type CrmAssignmentRuleUpdateRequest,
  type CrmAssignmentRuleView,
  type CrmContactView,
  type CrmFairnessLedgerEntry,
  type CrmFieldChanges,
  type CrmPondClaimRequest,
  type CrmPondCreateRequest,
  type CrmPondEventData,
  type CrmPondUpdateRequest,
  type CrmPondView,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { kyselyFor, type SqlRunner } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { isUuid, newId } from '@keyhouse/util';
import { CrmErrorCode } from '../../crm.exception';
import type { CrmDb } from '../../database/crm.db';
import { AgentDirectory } from '../agents/agent-directory.service';
import { toContactView } from '../contacts-core/contact.row';
import { LeadSourceCatalog, usesOf } from '../contacts-core/lead-source-catalog.service';
import { AssignmentEngine } from './assignment-engine.service';
import type { AssignmentRuleRow } from './assignment-rule.row';

const toRuleView = (row: AssignmentRuleRow): CrmAssignmentRuleView => ({
  id: row.id,
  name: row.name,
  priority: row.priority,
  conditions: row.conditions,
  strategy: row.strategy,
  agentIds: row.agent_ids,
  pondId: row.pond_id,
  responseDeadlineMinutes: row.response_deadline_minutes,
  active: row.active,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/**
 * Assignment rules (ordered by priority, lowest first), ponds with first-claim-wins claiming, and
 * the fairness ledger (each agent's share of a pool's assignments). Rules and ponds reference
 * agents of the organization (`AgentDirectory`: the local read model, else identity for one whose
 * event is not consumed yet); a user identity does not know as an agent of the organization is a
 * 400 `UNKNOWN_AGENT`.
 */
@Injectable()
export class AssignmentRulesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly engine: AssignmentEngine,
    private readonly unitOfWork: UnitOfWork,
    private readonly agents: AgentDirectory,
    private readonly leadSources: LeadSourceCatalog,
  ) {}

  /**
   * `POST /v1/assignment-rules` (admins): 400 `RULE_INVALID` / `UNKNOWN_AGENT` for a rule that
   * cannot route, `UNKNOWN_LEAD_SOURCE` (`conditions.sources[i]`) for a source the organization
   * does not have or has archived; emits `crm.assignment_rule.created`.
   */
  @RpcHandler(S.ruleCreate)
  async create(envelope: RequestEnvelope<CrmAssignmentRuleInput>): Promise<CrmAssignmentRuleView> {
    const actor = envelope.actor!;
    requireScope(actor, 'assignment-rules:write', 'org');
    const data = envelope.data;
    return this.unitOfWork.run(envelope, async (unit) => {
      const { manager } = unit;
      await this.validate(manager, envelope, data);
      const row = await kyselyFor<CrmDb>(manager)
        .insertInto('assignment_rule')
        .values({
          id: newId(),
          org_id: actor.orgId,
          name: data.name.trim(),
          priority: data.priority,
          conditions: JSON.stringify(data.conditions ?? {}),
          strategy: data.strategy,
          agent_ids: data.agentIds ?? [],
          pond_id: data.pondId ?? null,
          response_deadline_minutes: data.responseDeadlineMinutes ?? null,
          active: data.active ?? true,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const view = toRuleView(row);
      await unit.emit(CrmContactEvent.assignmentRuleCreated, row.id, actor.orgId, { rule: view });
      return view;
    });
  }

  /** `GET /v1/assignment-rules` (`assignment-rules:read`): live rules by priority (at most 500). */
  @RpcHandler(S.ruleList)
  async list(envelope: RequestEnvelope): Promise<CrmAssignmentRuleView[]> {
    requireScope(envelope.actor, 'assignment-rules:read');
    const rows = await kyselyFor<CrmDb>(this.dataSource)
      .selectFrom('assignment_rule')
      .selectAll()
      .where('org_id', '=', envelope.actor!.orgId)
      .where('deleted_at', 'is', null)
      .orderBy('priority')
      .orderBy('id')
      .limit(500)
      .execute();
    return rows.map(toRuleView);
  }

  /** `GET /v1/assignment-rules/:id` (404 `RULE_NOT_FOUND`). */
  @RpcHandler(S.ruleGet)
  async get(envelope: RequestEnvelope<{ id: string }>): Promise<CrmAssignmentRuleView> {
    requireScope(envelope.actor, 'assignment-rules:read');
    return toRuleView(await this.rule(this.dataSource.manager, envelope.actor!.orgId, envelope.data.id));
  }

  /**
   * `PATCH /v1/assignment-rules/:id` (admins): the given fields replace the rule's, validated as a
   * whole (a source the rule already had stays valid once archived; a new one must be active);
   * emits `crm.assignment_rule.updated` with the changes.
   */
  @RpcHandler(S.ruleUpdate)
  async update(envelope: RequestEnvelope<CrmAssignmentRuleUpdateRequest>): Promise<CrmAssignmentRuleView> {
    const actor = envelope.actor!;
    requireScope(actor, 'assignment-rules:write', 'org');
    const data = envelope.data;
    return this.unitOfWork.run(envelope, async (unit) => {
      const { manager } = unit;
      const before = toRuleView(await this.rule(manager, actor.orgId, data.id, true));
      const next: CrmAssignmentRuleInput = {
        name: data.name ?? before.name,
        priority: data.priority ?? before.priority,
        conditions: data.conditions ?? before.conditions,
        strategy: data.strategy ?? before.strategy,
        agentIds: data.agentIds ?? before.agentIds,
        pondId: data.pondId !== undefined ? data.pondId : before.pondId,
        responseDeadlineMinutes: data.responseDeadlineMinutes !== undefined ? data.responseDeadlineMinutes : before.responseDeadlineMinutes,
        active: data.active ?? before.active,
      };
      await this.validate(manager, envelope, next, before.conditions.sources ?? []);
      const row = await kyselyFor<CrmDb>(manager)
        .updateTable('assignment_rule')
        .set({
          name: next.name.trim(),
          priority: next.priority,
          conditions: JSON.stringify(next.conditions),
          strategy: next.strategy,
          agent_ids: next.agentIds,
          pond_id: next.pondId,
          response_deadline_minutes: next.responseDeadlineMinutes,
          active: next.active,
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', data.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = toRuleView(row);
      const changes: CrmFieldChanges = {};
      for (const key of Object.keys(after) as Array<keyof CrmAssignmentRuleView>) {
        if (key !== 'updatedAt' && JSON.stringify(before[key]) !== JSON.stringify(after[key]))
          changes[key] = { from: before[key], to: after[key] };
      }
      await unit.emit(CrmContactEvent.assignmentRuleUpdated, row.id, actor.orgId, { ruleId: row.id, changes });
      return after;
    });
  }

  /** `DELETE /v1/assignment-rules/:id` (admins): soft delete, the rule stops routing (404 `RULE_NOT_FOUND`); emits `crm.assignment_rule.deleted`. */
  @RpcHandler(S.ruleDelete)
  async delete(envelope: RequestEnvelope<{ id: string }>): Promise<void> {
    const actor = envelope.actor!;
    requireScope(actor, 'assignment-rules:write', 'org');
    await this.unitOfWork.run(envelope, async (unit) => {
      const { manager } = unit;
      const rule = await this.rule(manager, actor.orgId, envelope.data.id, true);
      await kyselyFor<CrmDb>(manager)
        .updateTable('assignment_rule')
        .set({ deleted_at: sql<Date>`now()`, active: false, updated_at: sql<Date>`now()` })
        .where('id', '=', rule.id)
        .execute();
      await unit.emit(CrmContactEvent.assignmentRuleDeleted, rule.id, actor.orgId, { ruleId: rule.id });
    });
  }

  /** Fairness ledger of a pool (a rule or a pond): assignments per agent and share in basis points. */
  @RpcHandler(S.ruleLedger)
  async ledger(envelope: RequestEnvelope<{ id: string }>): Promise<CrmFairnessLedgerEntry[]> {
    const actor = envelope.actor!;
    requireScope(actor, 'assignment-rules:read');
    const rows = await kyselyFor<CrmDb>(this.dataSource)
      .selectFrom('assignment_ledger')
      .select(['agent_id', 'assigned', 'last_assigned_at'])
      .where('org_id', '=', actor.orgId)
      .where('pool_id', '=', envelope.data.id)
      .orderBy('assigned', 'desc')
      .orderBy('agent_id')
      .execute();
    const total = rows.reduce((sum, row) => sum + row.assigned, 0);
    return rows.map((row) => ({
      agentId: row.agent_id,
      assigned: row.assigned,
      shareBps: total === 0 ? 0 : Math.round((row.assigned * 10_000) / total),
      lastAssignedAt: row.last_assigned_at?.toISOString() ?? null,
    }));
  }

  /** `POST /v1/ponds` (admins): `agentIds` must be agents of the read model (empty = every agent); emits `crm.pond.created`. */
  @RpcHandler(S.pondCreate)
  async pondCreate(envelope: RequestEnvelope<CrmPondCreateRequest>): Promise<CrmPondView> {
    const actor = envelope.actor!;
    requireScope(actor, 'assignment-rules:write', 'org');
    return this.unitOfWork.run(envelope, async (unit) => {
      const { manager } = unit;
      await this.agents.requireAgents(manager, envelope, envelope.data.agentIds ?? [], 'agentIds');
      const row = await kyselyFor<CrmDb>(manager)
        .insertInto('pond')
        .values({
          id: newId(),
          org_id: actor.orgId,
          name: envelope.data.name.trim(),
          agent_ids: [...new Set(envelope.data.agentIds ?? [])],
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const view: CrmPondView = {
        id: row.id,
        name: row.name,
        agentIds: row.agent_ids,
        unclaimed: 0,
        createdAt: row.created_at.toISOString(),
      };
      await unit.emit(CrmContactEvent.pondCreated, row.id, actor.orgId, { pond: view });
      return view;
    });
  }

  /** `GET /v1/ponds` (`assignment-rules:read`): live ponds with their unclaimed counts, oldest first (at most 500). */
  @RpcHandler(S.pondList)
  async pondList(envelope: RequestEnvelope): Promise<CrmPondView[]> {
    requireScope(envelope.actor, 'assignment-rules:read');
    const rows = await kyselyFor<CrmDb>(this.dataSource)
      .selectFrom('pond as p')
      .select((eb) => [
        'p.id',
        'p.name',
        'p.agent_ids',
        'p.created_at',
        eb
          .selectFrom('contact as c')
          .select(sql<number>`count(*)::int`.as('n'))
          .whereRef('c.pond_id', '=', 'p.id')
          .where('c.owner_id', 'is', null)
          .where('c.deleted_at', 'is', null)
          .$asScalar()
          .as('unclaimed'),
      ])
      .where('p.org_id', '=', envelope.actor!.orgId)
      .where('p.deleted_at', 'is', null)
      .orderBy('p.created_at')
      .orderBy('p.id')
      .limit(500)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      agentIds: row.agent_ids,
      unclaimed: row.unclaimed,
      createdAt: row.created_at.toISOString(),
    }));
  }

  /**
   * `PATCH /v1/ponds/:id` (`assignment-rules:write` at org scope): a new `name` and/or the eligible
   * `agentIds` (agents of the read model; empty = every agent). Leads already in the pond stay;
   * who may claim them follows the new list. Emits `crm.pond.updated` with the changes.
   */
  @RpcHandler(S.pondUpdate)
  async pondUpdate(envelope: RequestEnvelope<CrmPondUpdateRequest>): Promise<CrmPondView> {
    const actor = envelope.actor!;
    requireScope(actor, 'assignment-rules:write', 'org');
    return this.unitOfWork.run(envelope, async (unit) => {
      const { manager } = unit;
      const before = await this.pond(manager, actor.orgId, envelope.data.id);
      const name = envelope.data.name?.trim() ?? before.name;
      const agentIds = envelope.data.agentIds !== undefined ? [...new Set(envelope.data.agentIds)] : before.agentIds;
      if (envelope.data.agentIds !== undefined) await this.agents.requireAgents(manager, envelope, agentIds, 'agentIds');
      const changes: CrmFieldChanges = {};
      if (name !== before.name) changes.name = { from: before.name, to: name };
      if (JSON.stringify(agentIds) !== JSON.stringify(before.agentIds)) changes.agentIds = { from: before.agentIds, to: agentIds };
      if (Object.keys(changes).length === 0) return before;
      await kyselyFor<CrmDb>(manager).updateTable('pond').set({ name, agent_ids: agentIds }).where('id', '=', before.id).execute();
      const view: CrmPondView = { ...before, name, agentIds };
      const data: CrmPondEventData = { pond: view, changes };
      await unit.emit(CrmContactEvent.pondUpdated, view.id, actor.orgId, data);
      return view;
    });
  }

  /**
   * `DELETE /v1/ponds/:id` (`assignment-rules:write` at org scope): only an empty pond that no
   * active rule routes to (409 `POND_NOT_EMPTY` naming the unclaimed count, 409 `POND_IN_USE`
   * naming the rules); leads are never moved implicitly (docs/adr/0022). Soft delete: assignment
   * history keeps pointing at it; it leaves lists, claims and rule validation. Emits `crm.pond.deleted`.
   */
  @RpcHandler(S.pondDelete)
  async pondDelete(envelope: RequestEnvelope<{ id: string }>): Promise<void> {
    const actor = envelope.actor!;
    requireScope(actor, 'assignment-rules:write', 'org');
    await this.unitOfWork.run(envelope, async (unit) => {
      const { manager } = unit;
      const pond = await this.pond(manager, actor.orgId, envelope.data.id);
      if (pond.unclaimed > 0) {
        throw new DomainException(
          'conflict',
          CrmErrorCode.PondNotEmpty,
          `The pond holds ${pond.unclaimed} unclaimed lead(s); assign them first`,
          undefined,
          { unclaimed: pond.unclaimed },
        );
      }
      const rules = await kyselyFor<CrmDb>(manager)
        .selectFrom('assignment_rule')
        .select(['id', 'name'])
        .where('org_id', '=', actor.orgId)
        .where('pond_id', '=', pond.id)
        .where('deleted_at', 'is', null)
        .orderBy('priority')
        .orderBy('id')
        .execute();
      if (rules.length > 0) {
        throw new DomainException(
          'conflict',
          CrmErrorCode.PondInUse,
          'Assignment rules route to this pond; change or delete them first',
          undefined,
          {
            ruleIds: rules.map((rule) => rule.id),
          },
        );
      }
      await kyselyFor<CrmDb>(manager)
        .updateTable('pond')
        .set({ deleted_at: sql<Date>`now()` })
        .where('id', '=', pond.id)
        .execute();
      const data: CrmPondEventData = { pond };
      await unit.emit(CrmContactEvent.pondDeleted, pond.id, actor.orgId, data);
    });
  }

  /** A live pond of the organization, locked, with its unclaimed count (404 `POND_NOT_FOUND`). */
  private async pond(manager: EntityManager, orgId: string, id: string): Promise<CrmPondView> {
    const db = kyselyFor<CrmDb>(manager);
    const row = isUuid(id)
      ? await db
          .selectFrom('pond')
          .select(['id', 'name', 'agent_ids', 'created_at'])
          .where('org_id', '=', orgId)
          .where('id', '=', id)
          .where('deleted_at', 'is', null)
          .forUpdate()
          .executeTakeFirst()
      : undefined;
    if (!row) throw DomainException.notFound(CrmErrorCode.PondNotFound, 'Pond');
    const { unclaimed } = await db
      .selectFrom('contact')
      .select(sql<number>`count(*)::int`.as('unclaimed'))
      .where('pond_id', '=', row.id)
      .where('owner_id', 'is', null)
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow();
    return { id: row.id, name: row.name, agentIds: row.agent_ids, unclaimed, createdAt: row.created_at.toISOString() };
  }

  /**
   * `POST /v1/ponds/:id/claim`: an eligible agent takes a contact from the pond (the named one, or
   * the oldest). First claim wins: the claim is one conditional UPDATE on "still in this pond and
   * unowned"; a loser gets 409 `ALREADY_CLAIMED`.
   */
  @RpcHandler(S.pondClaim)
  async claim(envelope: RequestEnvelope<CrmPondClaimRequest>): Promise<CrmContactView> {
    const actor = envelope.actor!;
    requireScope(actor, 'contacts:write');
    const userId = actor.userId;
    return this.unitOfWork.run(envelope, async (unit) => {
      const db = kyselyFor<CrmDb>(unit.manager);
      const pond = await db
        .selectFrom('pond')
        .select(['id', 'name', 'agent_ids'])
        .where('org_id', '=', actor.orgId)
        .where('id', '=', envelope.data.id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (!pond) throw DomainException.notFound(CrmErrorCode.PondNotFound, 'Pond');
      const me = userId
        ? await db
            .selectFrom('org_user')
            .select(['is_agent', 'status'])
            .where('org_id', '=', actor.orgId)
            .where('user_id', '=', userId)
            .executeTakeFirst()
        : undefined;
      const eligible = !!userId && me?.status === 'active' && (pond.agent_ids.length > 0 ? pond.agent_ids.includes(userId) : me.is_agent);
      if (!eligible) throw DomainException.forbidden(CrmErrorCode.NotEligibleForPond, 'You are not an agent of this pond');
      const contactId = envelope.data.contactId;
      if (contactId !== undefined && !isUuid(contactId)) throw DomainException.notFound(CrmErrorCode.ContactNotFound, 'Contact');
      const claimed = await (
        contactId
          ? db
              .updateTable('contact')
              .set({ owner_id: userId })
              .where('id', '=', contactId)
              .where('org_id', '=', actor.orgId)
              .where('pond_id', '=', pond.id)
              .where('owner_id', 'is', null)
              .where('deleted_at', 'is', null)
          : db
              .updateTable('contact')
              .set({ owner_id: userId })
              .where('id', '=', (eb) =>
                eb
                  .selectFrom('contact')
                  .select('id')
                  .where('org_id', '=', actor.orgId)
                  .where('pond_id', '=', pond.id)
                  .where('owner_id', 'is', null)
                  .where('deleted_at', 'is', null)
                  .orderBy('created_at')
                  .orderBy('id')
                  .limit(1)
                  .forUpdate()
                  .skipLocked(),
              )
      )
        .returningAll()
        .executeTakeFirst();
      if (!claimed) {
        if (contactId)
          throw new DomainException('conflict', CrmErrorCode.AlreadyClaimed, 'This lead was already claimed or is not in the pond');
        throw new DomainException('not_found', CrmErrorCode.PondEmpty, 'The pond has no unclaimed lead');
      }
      claimed.owner_id = null;
      await this.engine.assign(
        unit,
        claimed,
        {
          agentId: userId!,
          pondId: null,
          ruleId: claimed.assigned_rule_id,
          strategy: 'claim',
          reason: `Claimed from pond '${pond.name}'`,
          poolId: pond.id,
          deadlineMinutes: null,
        },
        'claimed',
      );
      return toContactView({ ...claimed, owner_id: userId!, pond_id: null });
    });
  }

  private async rule(runner: SqlRunner, orgId: string, id: string, lock = false): Promise<AssignmentRuleRow> {
    if (!isUuid(id)) throw DomainException.notFound(CrmErrorCode.RuleNotFound, 'Assignment rule');
    let select = kyselyFor<CrmDb>(runner)
      .selectFrom('assignment_rule')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null);
    if (lock) select = select.forUpdate();
    const row = await select.executeTakeFirst();
    if (!row) throw DomainException.notFound(CrmErrorCode.RuleNotFound, 'Assignment rule');
    return row;
  }

  /**
   * A rule that can route: strategy and agents agree, the pond and agents are the organization's,
   * and every `conditions.sources` key is an active lead source of the organization or one of
   * `keptSources` (the rule's stored sources, valid once archived). 400 `RULE_INVALID`,
   * `UNKNOWN_LEAD_SOURCE` or `UNKNOWN_AGENT`.
   */
  private async validate(
    manager: EntityManager,
    envelope: RequestEnvelope,
    rule: CrmAssignmentRuleInput,
    keptSources: string[] = [],
  ): Promise<void> {
    const orgId = envelope.actor!.orgId;
    const agentIds = rule.agentIds ?? [];
    if (new Set(agentIds).size !== agentIds.length) throw invalid('agentIds', 'must not repeat an agent');
    if (rule.strategy === 'agent' && agentIds.length !== 1) throw invalid('agentIds', 'must name exactly one agent for strategy agent');
    if (rule.strategy === 'round_robin' && agentIds.length < 1) throw invalid('agentIds', 'must name the agents of the rotation');
    if (rule.strategy === 'pond' && !rule.pondId) throw invalid('pondId', 'is required for strategy pond');
    if (rule.strategy !== 'pond' && rule.pondId) throw invalid('pondId', 'is only for strategy pond');
    const conditions = rule.conditions ?? {};
    if (conditions.minPrice !== undefined && conditions.maxPrice !== undefined && conditions.minPrice > conditions.maxPrice) {
      throw invalid('conditions.maxPrice', 'must not be below minPrice');
    }
    if (rule.pondId) {
      const pond = isUuid(rule.pondId)
        ? await kyselyFor<CrmDb>(manager)
            .selectFrom('pond')
            .select('id')
            .where('org_id', '=', orgId)
            .where('id', '=', rule.pondId)
            .where('deleted_at', 'is', null)
            .executeTakeFirst()
        : undefined;
      if (!pond) throw invalid('pondId', 'is not a pond of this organization');
    }
    await this.leadSources.assertKnown(manager, orgId, usesOf(conditions.sources, 'conditions.sources'), {
      archived: 'refuse',
      keep: keptSources,
    });
    await this.agents.requireAgents(manager, envelope, agentIds, 'agentIds');
  }
}

function invalid(field: string, message: string): DomainException {
  return new DomainException('validation', CrmErrorCode.RuleInvalid, 'The assignment rule is not valid', [{ field, message }]);
}
