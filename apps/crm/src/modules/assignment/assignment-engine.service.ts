import { Inject, Injectable } from '@nestjs/common';
import { sql, type Selectable } from 'kysely';
import type { CrmContactAssignedData } from '@keyhouse/contracts';
import { CrmContactEvent } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import type { UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { InjectQueue, type Queue } from '@keyhouse/platform/queue';
import { newId } from '@keyhouse/util';
import { CRM_CONFIG, type CrmConfig } from '../../config/crm.config';
import type { CrmDb } from '../../database/crm.db';
import type { ContactRow } from '../contacts-core/contact.row';
import { TimelineRecorder } from '../contacts-core/timeline-recorder.service';
import { memoized } from '../shared/unit-memo.util';
import { matchesConditions, pickLoadBalanced, pickRoundRobin, withinWorkingHours, type RoutableContact } from './assignment.util';
import type { AssignmentRuleRow } from './assignment-rule.row';

export const SPEED_TO_LEAD_QUEUE = 'crm.speed-to-lead';

/** Lead statuses that count against an agent's capacity. */
export const ACTIVE_STATUSES = ['new', 'contacted', 'qualified', 'nurturing'];

/** The columns of `assignment_rule` that routing reads (`rr_position` again under the row lock). */
const ROUTING_RULE_COLUMNS = [
  'id',
  'name',
  'priority',
  'conditions',
  'strategy',
  'agent_ids',
  'pond_id',
  'response_deadline_minutes',
  'rr_position',
] as const;

/** An active rule as routing reads it. */
type RoutingRule = Pick<AssignmentRuleRow, (typeof ROUTING_RULE_COLUMNS)[number]>;

/** The columns of the identity read model (`org_user`) that routing reads. */
const AGENT_COLUMNS = ['user_id', 'name', 'status', 'role', 'capacity', 'working_hours', 'regions'] as const;

/** A user of the read model as routing reads it. */
export type RoutingAgent = Pick<Selectable<CrmDb['org_user']>, (typeof AGENT_COLUMNS)[number]>;

export interface AssignmentTarget {
  agentId: string | null;
  pondId: string | null;
  ruleId: string | null;
  strategy: CrmContactAssignedData['strategy'];
  reason: string;
  /** Ledger pool (rule or pond) the assignment counts in. */
  poolId: string | null;
  deadlineMinutes: number | null;
}

export function routableOf(contact: ContactRow): RoutableContact {
  const prefs = contact.preferences ?? {};
  return {
    source: contact.source,
    postalCode: contact.postal_code,
    city: contact.city,
    type: contact.type,
    preferredPostalCodes: prefs.postalCodes ?? [],
    preferredAreas: prefs.areas ?? [],
    priceCents: prefs.maxPriceCents ?? prefs.minPriceCents ?? null,
  };
}

/**
 * Lead routing (docs/adr/0009): the organization's active rules in priority order (lowest number
 * first); the first rule whose conditions match and whose strategy finds someone assigns. A rule
 * whose strategy finds nobody (all agents away, at capacity or excluded) falls through to the next
 * matching rule — that is the fallback. Agents come from the local read model of identity.
 */
@Injectable()
export class AssignmentEngine {
  constructor(
    @Inject(CRM_CONFIG) private readonly config: CrmConfig,
    @InjectQueue(SPEED_TO_LEAD_QUEUE) private readonly queue: Queue,
    private readonly timeline: TimelineRecorder,
  ) {}

  /**
   * Routes `contact` by the rules; assigns and returns the target, or null when no rule applies
   * (the contact stays unassigned). `exclude` lists agents that must not get it (speed-to-lead).
   */
  async route(
    unit: UnitOfWorkContext,
    contact: ContactRow,
    options: { exclude?: string[]; reasonPrefix?: string; endReason?: string } = {},
  ): Promise<AssignmentTarget | null> {
    // rr_position is re-read under the rule's row lock, so a memoised list stays correct.
    const rules = await memoized(unit, `rules:${contact.org_id}`, () =>
      kyselyFor<CrmDb>(unit.manager)
        .selectFrom('assignment_rule')
        .select(ROUTING_RULE_COLUMNS)
        .where('org_id', '=', contact.org_id)
        .where('active', '=', true)
        .where('deleted_at', 'is', null)
        .orderBy('priority')
        .orderBy('id')
        .execute(),
    );
    const routable = routableOf(contact);
    const exclude = new Set(options.exclude ?? []);
    const skipped: string[] = [];
    for (const rule of rules) {
      if (!matchesConditions(rule.conditions, routable)) continue;
      const target = await this.apply(unit, rule, contact, exclude);
      if (!target) {
        skipped.push(rule.name);
        continue;
      }
      const fallback = skipped.length > 0 ? ` (fallback: no eligible agent under ${skipped.map((name) => `'${name}'`).join(', ')})` : '';
      target.reason = `${options.reasonPrefix ?? ''}${target.reason}${fallback}`;
      await this.assign(unit, contact, target, options.endReason ?? 'reassigned');
      return target;
    }
    return null;
  }

  private async apply(
    unit: UnitOfWorkContext,
    rule: RoutingRule,
    contact: ContactRow,
    exclude: Set<string>,
  ): Promise<AssignmentTarget | null> {
    const db = kyselyFor<CrmDb>(unit.manager);
    const base = {
      ruleId: rule.id,
      strategy: rule.strategy,
      poolId: rule.id,
      deadlineMinutes: rule.response_deadline_minutes,
      pondId: null,
    };
    if (rule.strategy === 'pond') {
      return {
        ...base,
        agentId: null,
        pondId: rule.pond_id,
        poolId: rule.pond_id,
        reason: `Rule '${rule.name}': placed in the pond for agents to claim`,
      };
    }
    const agents = await this.agents(unit, contact.org_id, rule.agent_ids);
    const eligible = (agent: RoutingAgent | undefined): agent is RoutingAgent =>
      !!agent && agent.status === 'active' && !exclude.has(agent.user_id);
    if (rule.strategy === 'agent') {
      const agent = agents.get(rule.agent_ids[0]);
      if (!eligible(agent)) return null;
      return { ...base, agentId: agent.user_id, reason: `Rule '${rule.name}': always assigned to ${agent.name}` };
    }
    if (rule.strategy === 'round_robin') {
      // The rule row lock serialises concurrent intakes on this rule, so the rotation stays fair.
      const locked = await db
        .selectFrom('assignment_rule')
        .select('rr_position')
        .where('id', '=', rule.id)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const position = Number(locked.rr_position);
      const picked = pickRoundRobin(rule.agent_ids, position, (id) => eligible(agents.get(id)));
      if (!picked) return null;
      await db.updateTable('assignment_rule').set({ rr_position: picked.next }).where('id', '=', rule.id).execute();
      const agent = agents.get(picked.agentId)!;
      return {
        ...base,
        agentId: agent.user_id,
        reason: `Rule '${rule.name}': round-robin, next in rotation (${picked.index + 1} of ${rule.agent_ids.length})`,
      };
    }
    // load_balanced: the rule's agents, or every agent whose regions cover the contact's ZIP (else every agent).
    await db.selectFrom('assignment_rule').select('id').where('id', '=', rule.id).forUpdate().execute();
    let pool = [...agents.values()];
    if (rule.agent_ids.length === 0) {
      const all = [...(await this.agents(unit, contact.org_id, null)).values()];
      const zip = contact.postal_code;
      const regional = zip ? all.filter((agent) => agent.regions.includes(zip)) : [];
      pool = regional.length > 0 ? regional : all;
    }
    const now = new Date();
    const available = pool.filter((agent) => eligible(agent) && withinWorkingHours(agent.working_hours, now));
    if (available.length === 0) return null;
    const loads = await db
      .selectFrom('contact')
      .select(['owner_id', sql<number>`count(*)::int`.as('n')])
      .where('org_id', '=', contact.org_id)
      .where('owner_id', '=', (eb) => eb.fn.any(sql<string[]>`${available.map((agent) => agent.user_id)}::uuid[]`))
      .where('deleted_at', 'is', null)
      .where('status', '=', (eb) => eb.fn.any(sql<Array<ContactRow['status']>>`${ACTIVE_STATUSES}::text[]`))
      .where('id', '<>', contact.id)
      .groupBy('owner_id')
      .execute();
    const ledger = await db
      .selectFrom('assignment_ledger')
      .select(['agent_id', 'last_assigned_at'])
      .where('pool_id', '=', rule.id)
      .execute();
    const picked = pickLoadBalanced(
      available.map((agent) => ({
        agentId: agent.user_id,
        capacity: agent.capacity,
        activeLeads: loads.find((load) => load.owner_id === agent.user_id)?.n ?? 0,
        lastAssignedAt: ledger.find((entry) => entry.agent_id === agent.user_id)?.last_assigned_at ?? null,
      })),
    );
    if (!picked) return null;
    const agent = agents.get(picked.agentId) ?? pool.find((candidate) => candidate.user_id === picked.agentId)!;
    return {
      ...base,
      agentId: picked.agentId,
      reason: `Rule '${rule.name}': load-balanced to ${agent.name} (${picked.activeLeads} of ${picked.capacity} active leads, within working hours)`,
    };
  }

  /**
   * Records an assignment: ends the current one, points the contact at the agent or pond, counts
   * it in the pool's fairness ledger, writes the timeline and `crm.contact.assigned`, and (after
   * commit) schedules the speed-to-lead check when the rule has a response deadline.
   */
  async assign(unit: UnitOfWorkContext, contact: ContactRow, target: AssignmentTarget, endReason: string): Promise<void> {
    const now = new Date();
    const respondBy =
      target.agentId && target.deadlineMinutes
        ? new Date(now.getTime() + target.deadlineMinutes * this.config.CRM_RESPONSE_DEADLINE_UNIT_MS)
        : null;
    const db = kyselyFor<CrmDb>(unit.manager);
    await db
      .updateTable('contact_assignment')
      .set({ ended_at: now, end_reason: endReason })
      .where('contact_id', '=', contact.id)
      .where('ended_at', 'is', null)
      .execute();
    const assignmentId = newId();
    await db
      .insertInto('contact_assignment')
      .values({
        id: assignmentId,
        org_id: contact.org_id,
        contact_id: contact.id,
        agent_id: target.agentId,
        pond_id: target.pondId,
        rule_id: target.ruleId,
        strategy: target.strategy,
        reason: target.reason,
        assigned_by: unit.actorId,
        assigned_at: now,
        respond_by: respondBy,
      })
      .execute();
    await db
      .updateTable('contact')
      .set({
        owner_id: target.agentId,
        pond_id: target.pondId,
        assigned_rule_id: target.ruleId,
        assignment_reason: target.reason,
        assigned_at: now,
        respond_by: respondBy,
        updated_at: now,
      })
      .where('id', '=', contact.id)
      .execute();
    if (target.agentId && target.poolId) {
      await db
        .insertInto('assignment_ledger')
        .values({ org_id: contact.org_id, pool_id: target.poolId, agent_id: target.agentId, assigned: 1, last_assigned_at: now })
        .onConflict((conflict) =>
          conflict
            .columns(['pool_id', 'agent_id'])
            .doUpdateSet((eb) => ({ assigned: eb('assignment_ledger.assigned', '+', 1), last_assigned_at: now })),
        )
        .execute();
    }
    const data: CrmContactAssignedData = {
      contactId: contact.id,
      fromAgentId: contact.owner_id,
      toAgentId: target.agentId,
      pondId: target.pondId,
      ruleId: target.ruleId,
      strategy: target.strategy,
      reason: target.reason,
      respondBy: respondBy?.toISOString() ?? null,
    };
    await this.timeline.record(unit.manager, {
      orgId: contact.org_id,
      contactId: contact.id,
      kind: 'contact.assigned',
      actorId: unit.actorId,
      data: { ...data },
    });
    await unit.emit(CrmContactEvent.contactAssigned, contact.id, contact.org_id, data);
    contact.owner_id = target.agentId;
    contact.pond_id = target.pondId;
    contact.assigned_rule_id = target.ruleId;
    contact.assignment_reason = target.reason;
    contact.assigned_at = now;
    contact.respond_by = respondBy;
    if (respondBy) {
      const delay = respondBy.getTime() - now.getTime();
      unit.afterCommit(async () => {
        await this.queue.add(
          'check',
          { orgId: contact.org_id, contactId: contact.id, assignmentId },
          { delay, jobId: assignmentId, removeOnComplete: true },
        );
      });
    }
  }

  /**
   * Manual assignment of many contacts at once (bulk assign): the same records as `assign` for
   * each contact, written with one statement per table for every 1,000 contacts.
   */
  async assignMany(unit: UnitOfWorkContext, rows: ContactRow[], agentId: string | null, reason: string): Promise<void> {
    const now = new Date();
    const db = kyselyFor<CrmDb>(unit.manager);
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      const ids = chunk.map((row) => row.id);
      const orgId = chunk[0].org_id;
      await db
        .updateTable('contact_assignment')
        .set({ ended_at: now, end_reason: 'reassigned' })
        .where('contact_id', '=', (eb) => eb.fn.any(sql<string[]>`${ids}::uuid[]`))
        .where('ended_at', 'is', null)
        .execute();
      // Raw SQL: two arrays unnested side by side as the INSERT's source (no builder form).
      await sql`
        INSERT INTO contact_assignment (id, org_id, contact_id, agent_id, strategy, reason, assigned_by, assigned_at)
        SELECT a.id, ${orgId}, a.contact_id, ${agentId}, 'manual', ${reason}, ${unit.actorId}, ${now}
          FROM unnest(${ids}::uuid[], ${ids.map(() => newId())}::uuid[]) AS a(contact_id, id)`.execute(db);
      await db
        .updateTable('contact')
        .set({
          owner_id: agentId,
          pond_id: null,
          assigned_rule_id: null,
          assignment_reason: reason,
          assigned_at: now,
          respond_by: null,
          updated_at: now,
        })
        .where('id', '=', (eb) => eb.fn.any(sql<string[]>`${ids}::uuid[]`))
        .execute();
      const data = chunk.map((row): CrmContactAssignedData => ({
        contactId: row.id,
        fromAgentId: row.owner_id,
        toAgentId: agentId,
        pondId: null,
        ruleId: null,
        strategy: 'manual',
        reason,
        respondBy: null,
      }));
      // Raw SQL: a JSON record set as the INSERT's source (no builder form).
      const entries = JSON.stringify(data.map((d) => ({ id: newId(), contact_id: d.contactId, data: d })));
      await sql`
        INSERT INTO timeline_entry (id, org_id, contact_id, kind, occurred_at, actor_id, data)
        SELECT t.id, ${orgId}, t.contact_id, 'contact.assigned', ${now}, ${unit.actorId}, t.data
          FROM jsonb_to_recordset(${entries}::jsonb) AS t(id uuid, contact_id uuid, data jsonb)`.execute(db);
      await unit.emitMany(
        CrmContactEvent.contactAssigned,
        data.map((d) => ({ subject: d.contactId, orgId, data: d })),
      );
    }
  }

  /** Active users of the read model by id (`ids` null: every agent of the organization). */
  async agents(unit: Pick<UnitOfWorkContext, 'manager' | 'memo'>, orgId: string, ids: string[] | null): Promise<Map<string, RoutingAgent>> {
    return memoized(unit, `agents:${orgId}:${ids === null ? '*' : ids.join(',')}`, () => this.loadAgents(unit, orgId, ids));
  }

  private async loadAgents(
    unit: Pick<UnitOfWorkContext, 'manager'>,
    orgId: string,
    ids: string[] | null,
  ): Promise<Map<string, RoutingAgent>> {
    let select = kyselyFor<CrmDb>(unit.manager).selectFrom('org_user').select(AGENT_COLUMNS).where('org_id', '=', orgId);
    select =
      ids === null
        ? select.where('is_agent', '=', true).where('status', '=', 'active')
        : select.where('user_id', '=', (eb) => eb.fn.any(sql<string[]>`${ids}::uuid[]`));
    const rows = await select.execute();
    return new Map(rows.map((row) => [row.user_id, row]));
  }
}
