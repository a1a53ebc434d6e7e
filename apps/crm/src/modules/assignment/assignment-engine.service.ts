import { Inject, Injectable } from '@nestjs/common';
import type { CrmAssignmentConditions, CrmAssignmentStrategy, CrmContactAssignedData } from '@keyhouse/contracts';
import { CrmContactEvent } from '@keyhouse/contracts';
import type { UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { InjectQueue, type Queue } from '@keyhouse/platform/queue';
import { newId } from '@keyhouse/util';
import { CRM_CONFIG, type CrmConfig } from '../../config/crm.config';
import type { ContactRow } from '../contacts-core/contact.row';
import { TimelineRecorder } from '../contacts-core/timeline-recorder.service';
import { memoized } from '../shared/unit-memo.util';
import {
  matchesConditions,
  pickLoadBalanced,
  pickRoundRobin,
  withinWorkingHours,
  type RoutableContact,
  type WorkingHoursValue,
} from './assignment.util';

export const SPEED_TO_LEAD_QUEUE = 'crm.speed-to-lead';

/** Lead statuses that count against an agent's capacity. */
export const ACTIVE_STATUSES = ['new', 'contacted', 'qualified', 'nurturing'];

interface RuleRow {
  id: string;
  name: string;
  priority: number;
  conditions: CrmAssignmentConditions;
  strategy: CrmAssignmentStrategy;
  agent_ids: string[];
  pond_id: string | null;
  response_deadline_minutes: number | null;
  rr_position: string;
}

interface AgentRow {
  user_id: string;
  name: string;
  status: string;
  role: string;
  capacity: number;
  working_hours: WorkingHoursValue | null;
  regions: string[];
}

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
    const rules = await memoized(
      unit,
      `rules:${contact.org_id}`,
      async () =>
        (await unit.manager.query(
          `SELECT id, name, priority, conditions, strategy, agent_ids, pond_id, response_deadline_minutes, rr_position
           FROM assignment_rule WHERE org_id = $1 AND active AND deleted_at IS NULL ORDER BY priority, id`,
          [contact.org_id],
        )) as RuleRow[],
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

  private async apply(unit: UnitOfWorkContext, rule: RuleRow, contact: ContactRow, exclude: Set<string>): Promise<AssignmentTarget | null> {
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
    const eligible = (agent: AgentRow | undefined): agent is AgentRow =>
      !!agent && agent.status === 'active' && !exclude.has(agent.user_id);
    if (rule.strategy === 'agent') {
      const agent = agents.get(rule.agent_ids[0]);
      if (!eligible(agent)) return null;
      return { ...base, agentId: agent.user_id, reason: `Rule '${rule.name}': always assigned to ${agent.name}` };
    }
    if (rule.strategy === 'round_robin') {
      // The rule row lock serialises concurrent intakes on this rule, so the rotation stays fair.
      const [locked] = (await unit.manager.query(`SELECT rr_position FROM assignment_rule WHERE id = $1 FOR UPDATE`, [rule.id])) as Array<{
        rr_position: string;
      }>;
      const position = Number(locked.rr_position);
      const picked = pickRoundRobin(rule.agent_ids, position, (id) => eligible(agents.get(id)));
      if (!picked) return null;
      await unit.manager.query(`UPDATE assignment_rule SET rr_position = $2 WHERE id = $1`, [rule.id, picked.next]);
      const agent = agents.get(picked.agentId)!;
      return {
        ...base,
        agentId: agent.user_id,
        reason: `Rule '${rule.name}': round-robin, next in rotation (${picked.index + 1} of ${rule.agent_ids.length})`,
      };
    }
    // load_balanced: the rule's agents, or every agent whose regions cover the contact's ZIP (else every agent).
    await unit.manager.query(`SELECT 1 FROM assignment_rule WHERE id = $1 FOR UPDATE`, [rule.id]);
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
    const loads = (await unit.manager.query(
      `SELECT owner_id, count(*)::int AS n FROM contact
        WHERE org_id = $1 AND owner_id = ANY($2::uuid[]) AND deleted_at IS NULL AND status = ANY($3::text[]) AND id <> $4
        GROUP BY owner_id`,
      [contact.org_id, available.map((agent) => agent.user_id), ACTIVE_STATUSES, contact.id],
    )) as Array<{ owner_id: string; n: number }>;
    const ledger = (await unit.manager.query(`SELECT agent_id, last_assigned_at FROM assignment_ledger WHERE pool_id = $1`, [
      rule.id,
    ])) as Array<{
      agent_id: string;
      last_assigned_at: Date | null;
    }>;
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
    await unit.manager.query(`UPDATE contact_assignment SET ended_at = $2, end_reason = $3 WHERE contact_id = $1 AND ended_at IS NULL`, [
      contact.id,
      now,
      endReason,
    ]);
    const assignmentId = newId();
    await unit.manager.query(
      `INSERT INTO contact_assignment (id, org_id, contact_id, agent_id, pond_id, rule_id, strategy, reason, assigned_by, assigned_at, respond_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        assignmentId,
        contact.org_id,
        contact.id,
        target.agentId,
        target.pondId,
        target.ruleId,
        target.strategy,
        target.reason,
        unit.actorId,
        now,
        respondBy,
      ],
    );
    await unit.manager.query(
      `UPDATE contact SET owner_id = $2, pond_id = $3, assigned_rule_id = $4, assignment_reason = $5, assigned_at = $6, respond_by = $7, updated_at = $6
        WHERE id = $1`,
      [contact.id, target.agentId, target.pondId, target.ruleId, target.reason, now, respondBy],
    );
    if (target.agentId && target.poolId) {
      await unit.manager.query(
        `INSERT INTO assignment_ledger (org_id, pool_id, agent_id, assigned, last_assigned_at) VALUES ($1, $2, $3, 1, $4)
         ON CONFLICT (pool_id, agent_id) DO UPDATE SET assigned = assignment_ledger.assigned + 1, last_assigned_at = $4`,
        [contact.org_id, target.poolId, target.agentId, now],
      );
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
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      const ids = chunk.map((row) => row.id);
      const orgId = chunk[0].org_id;
      await unit.manager.query(
        `UPDATE contact_assignment SET ended_at = $2, end_reason = 'reassigned' WHERE contact_id = ANY($1::uuid[]) AND ended_at IS NULL`,
        [ids, now],
      );
      await unit.manager.query(
        `INSERT INTO contact_assignment (id, org_id, contact_id, agent_id, strategy, reason, assigned_by, assigned_at)
         SELECT a.id, $2, a.contact_id, $3, 'manual', $4, $5, $6 FROM unnest($1::uuid[], $7::uuid[]) AS a(contact_id, id)`,
        [ids, orgId, agentId, reason, unit.actorId, now, ids.map(() => newId())],
      );
      await unit.manager.query(
        `UPDATE contact SET owner_id = $2, pond_id = NULL, assigned_rule_id = NULL, assignment_reason = $3, assigned_at = $4, respond_by = NULL, updated_at = $4
          WHERE id = ANY($1::uuid[])`,
        [ids, agentId, reason, now],
      );
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
      await unit.manager.query(
        `INSERT INTO timeline_entry (id, org_id, contact_id, kind, occurred_at, actor_id, data)
         SELECT t.id, $2, t.contact_id, 'contact.assigned', $3, $4, t.data FROM jsonb_to_recordset($1::jsonb) AS t(id uuid, contact_id uuid, data jsonb)`,
        [JSON.stringify(data.map((d) => ({ id: newId(), contact_id: d.contactId, data: d }))), orgId, now, unit.actorId],
      );
      await unit.emitMany(
        CrmContactEvent.contactAssigned,
        data.map((d) => ({ subject: d.contactId, orgId, data: d })),
      );
    }
  }

  /** Active users of the read model by id (`ids` null: every agent of the organization). */
  async agents(unit: Pick<UnitOfWorkContext, 'manager' | 'memo'>, orgId: string, ids: string[] | null): Promise<Map<string, AgentRow>> {
    return memoized(unit, `agents:${orgId}:${ids === null ? '*' : ids.join(',')}`, () => this.loadAgents(unit, orgId, ids));
  }

  private async loadAgents(unit: Pick<UnitOfWorkContext, 'manager'>, orgId: string, ids: string[] | null): Promise<Map<string, AgentRow>> {
    const rows = (await unit.manager.query(
      ids === null
        ? `SELECT user_id, name, status, role, capacity, working_hours, regions FROM org_user WHERE org_id = $1 AND is_agent AND status = 'active'`
        : `SELECT user_id, name, status, role, capacity, working_hours, regions FROM org_user WHERE org_id = $1 AND user_id = ANY($2::uuid[])`,
      ids === null ? [orgId] : [orgId, ids],
    )) as AgentRow[];
    return new Map(rows.map((row) => [row.user_id, row]));
  }
}
