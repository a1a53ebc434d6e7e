import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  CrmContactEvent,
  CrmContactSubjects as S,
  type Actor,
  type CrmBulkAssignRequest,
  type CrmBulkResult,
  type CrmBulkStatusRequest,
  type CrmBulkTagsRequest,
  type CrmContactAssignmentView,
  type CrmContactAssignRequest,
  type CrmContactCreateRequest,
  type CrmContactCreateResult,
  type CrmContactDuplicate,
  type CrmContactListRequest,
  type CrmContactMergeRequest,
  type CrmContactScore,
  type CrmContactUpdateRequest,
  type CrmContactView,
  type CrmContactsByCompanyRequest,
  type CrmFieldChanges,
  type CrmScoreReason,
  type FieldError,
  type Page,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope, scopeOf } from '@keyhouse/platform/auth';
import { keyset, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { isUuid, newId } from '@keyhouse/util';
import { CrmErrorCode } from '../../crm.exception';
import { AssignmentEngine } from '../assignment/assignment-engine.service';
import { contactVisibility } from '../contacts-core/contact-access.util';
import { ContactLookup } from '../contacts-core/contact-lookup.service';
import type { ContactRow } from '../contacts-core/contact.row';
import { stateOf, derive, type ContactState } from '../contacts-core/contact-state';
import { ContactTags, distinctNames, type TagAuthor } from '../contacts-core/contact-tags.service';
import { ContactWriter } from '../contacts-core/contact-writer.service';
import { DuplicateDetection, probeOf } from '../contacts-core/duplicate-detection.service';
import { TimelineRecorder } from '../contacts-core/timeline-recorder.service';
import { escapeLike, pageOrThrow } from '../shared/list-query.util';
import { ContactMerge } from './contact-merge.service';

/** Most ids one bulk request may name (all-or-nothing). */
export const BULK_MAX_IDS = 10_000;

const SORTS: Record<string, { column: string; direction: 'ASC' | 'DESC' }> = {
  createdAt: { column: 'c.created_at', direction: 'ASC' },
  '-createdAt': { column: 'c.created_at', direction: 'DESC' },
  updatedAt: { column: 'c.updated_at', direction: 'ASC' },
  '-updatedAt': { column: 'c.updated_at', direction: 'DESC' },
  name: { column: 'c.full_name', direction: 'ASC' },
  '-name': { column: 'c.full_name', direction: 'DESC' },
  lastContactedAt: { column: `coalesce(c.last_contacted_at, 'epoch'::timestamptz)`, direction: 'ASC' },
  '-lastContactedAt': { column: `coalesce(c.last_contacted_at, 'epoch'::timestamptz)`, direction: 'DESC' },
};

/**
 * Contacts (leads and clients): create with duplicate detection, list with filters/sort/search
 * and keyset pagination, read, update, soft delete, merge, manual assignment, bulk changes.
 * Scope: agents reach the contacts they own, managers their teams', admins the organization's.
 */
@Injectable()
export class ContactsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly lookup: ContactLookup,
    private readonly writer: ContactWriter,
    private readonly duplicates: DuplicateDetection,
    private readonly engine: AssignmentEngine,
    private readonly timeline: TimelineRecorder,
    private readonly unitOfWork: UnitOfWork,
    private readonly tags: ContactTags,
    private readonly merging: ContactMerge,
  ) {}

  /**
   * `POST /v1/contacts`. Duplicates (email, phone, fuzzy name) answer 409 `DUPLICATE_CONTACT` with
   * `duplicates: [{ id, reason }]` unless `onDuplicate` is `create` (insert anyway) or `merge`
   * (apply the input to the strongest match and return it, `merged: true`). The owner defaults to
   * the creating agent (own scope); otherwise a contact without `ownerId` is routed by the rules.
   */
  @RpcHandler(S.create)
  async create(envelope: RequestEnvelope<CrmContactCreateRequest>): Promise<CrmContactCreateResult> {
    const actor = envelope.actor!;
    const scope = requireScope(actor, 'contacts:write');
    const { onDuplicate = 'reject', ...input } = envelope.data;
    return this.unitOfWork.run(envelope, async (unit) => {
      const state = await this.writer.stateFromInput(unit.manager, actor.orgId, input, authorOf(unit));
      await this.duplicates.lockIdentity(unit.manager, actor.orgId, state);
      const found = await this.duplicates.find(unit.manager, actor.orgId, probeOf(state));
      if (found.length > 0 && onDuplicate === 'reject') throw duplicateConflict(found);
      if (found.length > 0 && onDuplicate === 'merge') {
        const target = await this.lookup.visible(unit.manager, actor, 'contacts:write', found[0].id, true).catch(() => {
          throw duplicateConflict(found);
        });
        const next = await this.writer.stateWithInput(unit.manager, target, input, authorOf(unit));
        const saved = await this.writer.save(unit, target, next);
        return { contact: await this.tags.view(unit.manager, saved), merged: true };
      }
      if (input.ownerId !== undefined && input.ownerId !== null) {
        await this.assertAssignable(unit.manager, actor, input.ownerId);
        state.owner_id = input.ownerId;
      } else if (scope === 'own') state.owner_id = actor.userId ?? null;
      const owner = state.owner_id;
      state.owner_id = null;
      let row = await this.writer.insert(unit, actor.orgId, state);
      if (owner) {
        await this.engine.assign(
          unit,
          row,
          {
            agentId: owner,
            pondId: null,
            ruleId: null,
            strategy: 'manual',
            reason: 'Set when the contact was created',
            poolId: null,
            deadlineMinutes: null,
          },
          'reassigned',
        );
      } else {
        await this.engine.route(unit, row);
      }
      row = await this.writer.reload(unit.manager, row);
      return { contact: await this.tags.view(unit.manager, row), merged: false };
    });
  }

  /**
   * `GET /v1/contacts`: the contacts the caller reaches (`contacts:read` scope), filtered, searched
   * (`q`), sorted (default `-createdAt`) and keyset-paginated; 400 for a bad cursor.
   */
  @RpcHandler(S.list)
  async list(envelope: RequestEnvelope<CrmContactListRequest>): Promise<Page<CrmContactView>> {
    const actor = envelope.actor!;
    const data = envelope.data;
    const params: unknown[] = [actor.orgId];
    const where = ['c.org_id = $1', 'c.deleted_at IS NULL'];
    where.push(contactVisibility(actor, 'contacts:read', params));
    const filter = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (data.status?.length) filter((p) => `c.status = ANY(${p}::text[])`, data.status);
    if (data.score?.length) filter((p) => `coalesce(c.score_override, c.score) = ANY(${p}::text[])`, data.score);
    if (data.type?.length) filter((p) => `c.type = ANY(${p}::text[])`, data.type);
    if (data.source?.length) filter((p) => `c.source = ANY(${p}::text[])`, data.source);
    // A tag name means the definitions of that name the caller sees: the organization's and their own personal one.
    for (const name of distinctNames(data.tag ?? [])) {
      params.push(actor.userId ?? null);
      const user = `$${params.length}::uuid`;
      filter(
        (p) =>
          `c.tag_ids && ARRAY(SELECT g.id FROM tag_definition g WHERE g.org_id = $1 AND (g.scope = 'org' OR g.owner_id = ${user}) AND lower(g.name) = lower(${p}))`,
        name,
      );
    }
    if (data.tagIds?.length) filter((p) => `c.tag_ids @> ${p}::uuid[]`, data.tagIds);
    if (data.ownerId) filter((p) => `c.owner_id = ${p}::uuid`, data.ownerId);
    if (data.teamId)
      filter(
        (p) => `c.owner_id IN (SELECT u.user_id FROM org_user u WHERE u.org_id = c.org_id AND ${p}::uuid = ANY(u.team_ids))`,
        data.teamId,
      );
    if (data.pondId) filter((p) => `c.pond_id = ${p}::uuid`, data.pondId);
    if (data.companyId) filter((p) => `c.company_id = ${p}::uuid`, data.companyId);
    if (data.createdFrom) filter((p) => `c.created_at >= ${p}::timestamptz`, data.createdFrom);
    if (data.createdTo) filter((p) => `c.created_at < ${p}::timestamptz`, data.createdTo);
    if (data.lastContactedFrom) filter((p) => `c.last_contacted_at >= ${p}::timestamptz`, data.lastContactedFrom);
    if (data.lastContactedTo) filter((p) => `c.last_contacted_at < ${p}::timestamptz`, data.lastContactedTo);
    if (data.customFields && Object.keys(data.customFields).length > 0)
      filter((p) => `c.custom_fields @> ${p}::jsonb`, JSON.stringify(data.customFields));
    if (data.q?.trim()) filter((p) => `c.search_text ILIKE ${p}`, `%${escapeLike(data.q.trim().toLowerCase())}%`);
    const sort = SORTS[data.sort ?? '-createdAt'] ?? SORTS['-createdAt'];
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: sort.column,
        idColumn: 'c.id',
        direction: sort.direction,
        cursor: data.cursor,
        limit: data.limit,
        firstParam: params.length + 1,
      }),
    );
    const rows = (await this.dataSource.query(
      `SELECT c.*, ${sort.column} AS sort_key FROM contact c WHERE ${where.join(' AND ')} AND ${page.where} ${page.tail}`,
      [...params, ...page.params],
    )) as Array<ContactRow & { sort_key: Date | string }>;
    const pageOfRows = toPage(
      rows,
      page.limit,
      (row) => ({ v: row.sort_key, id: row.id }),
      (row) => row,
    );
    return { ...pageOfRows, items: await this.tags.views(this.dataSource.manager, pageOfRows.items) };
  }

  /** `GET /v1/companies/:id/contacts`: the contact list of one company of the caller's organization (404 `COMPANY_NOT_FOUND` otherwise). */
  @RpcHandler(S.listByCompany)
  async listByCompany(envelope: RequestEnvelope<CrmContactsByCompanyRequest>): Promise<Page<CrmContactView>> {
    requireScope(envelope.actor, 'contacts:read');
    const { id, ...query } = envelope.data;
    const [company] = isUuid(id)
      ? ((await this.dataSource.query(`SELECT 1 FROM company WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL`, [
          envelope.actor!.orgId,
          id,
        ])) as unknown[])
      : [];
    if (!company) throw DomainException.notFound(CrmErrorCode.CompanyNotFound, 'Company');
    return this.list({ ...envelope, data: { ...query, companyId: id } });
  }

  /** `GET /v1/contacts/:id`: the contact with its tag details (404 `CONTACT_NOT_FOUND` out of reach, `CONTACT_MERGED` when merged). */
  @RpcHandler(S.get)
  async get(envelope: RequestEnvelope<{ id: string }>): Promise<CrmContactView> {
    return this.tags.view(
      this.dataSource.manager,
      await this.lookup.visible(this.dataSource.manager, envelope.actor, 'contacts:read', envelope.data.id),
    );
  }

  /** `PATCH /v1/contacts/:id`; a changed `ownerId` goes through `assign` (recorded, with its event). */
  @RpcHandler(S.update)
  async update(envelope: RequestEnvelope<CrmContactUpdateRequest>): Promise<CrmContactView> {
    const actor = envelope.actor!;
    const { id, ownerId, ...input } = envelope.data;
    return this.unitOfWork.run(envelope, async (unit) => {
      let row = await this.lookup.visible(unit.manager, actor, 'contacts:write', id, true);
      const next = await this.writer.stateWithInput(unit.manager, row, input, authorOf(unit));
      if (input.emails !== undefined || input.email !== undefined || input.phones !== undefined || input.phone !== undefined) {
        const found = await this.duplicates.find(unit.manager, actor.orgId, { ...probeOf(next), excludeId: row.id });
        const strong = found.filter((duplicate) => duplicate.reason !== 'name');
        if (strong.length > 0) throw duplicateConflict(strong);
      }
      row = await this.writer.save(unit, row, next);
      if (ownerId !== undefined && ownerId !== row.owner_id) {
        await this.manualAssign(unit, actor, row, ownerId, 'Changed on the contact');
        row = await this.writer.reload(unit.manager, row);
      }
      return this.tags.view(unit.manager, row);
    });
  }

  /** Soft delete (`DELETE /v1/contacts/:id`): hidden from lists and reads, history kept. */
  @RpcHandler(S.delete)
  async delete(envelope: RequestEnvelope<{ id: string }>): Promise<void> {
    const actor = envelope.actor!;
    await this.unitOfWork.run(envelope, async (unit) => {
      const row = await this.lookup.visible(unit.manager, actor, 'contacts:write', envelope.data.id, true);
      await unit.manager.query(`UPDATE contact SET deleted_at = now(), updated_at = now(), pond_id = NULL WHERE id = $1`, [row.id]);
      await unit.manager.query(
        `UPDATE contact_assignment SET ended_at = now(), end_reason = 'deleted' WHERE contact_id = $1 AND ended_at IS NULL`,
        [row.id],
      );
      await this.timeline.record(unit.manager, { orgId: row.org_id, contactId: row.id, kind: 'contact.deleted', actorId: unit.actorId });
      await unit.emit(CrmContactEvent.contactDeleted, row.id, row.org_id, { contactId: row.id });
    });
  }

  /** `POST /v1/contacts/:id/merge`: both contacts must be writable by the caller. */
  @RpcHandler(S.merge)
  async merge(envelope: RequestEnvelope<CrmContactMergeRequest>): Promise<CrmContactView> {
    const actor = envelope.actor!;
    return this.unitOfWork.run(envelope, async (unit) => {
      if (envelope.data.id === envelope.data.sourceId) {
        throw new DomainException('validation', CrmErrorCode.MergeSelf, 'A contact cannot be merged into itself', [
          { field: 'sourceId', message: 'is the same contact' },
        ]);
      }
      // Lock in id order so two opposite merges cannot deadlock.
      const [first, second] = [envelope.data.id, envelope.data.sourceId].sort();
      const rows = new Map<string, ContactRow>();
      for (const id of [first, second]) rows.set(id, await this.lookup.visible(unit.manager, actor, 'contacts:write', id, true));
      const saved = await this.merging.merge(unit, rows.get(envelope.data.id)!, rows.get(envelope.data.sourceId)!);
      return this.tags.view(unit.manager, saved);
    });
  }

  /** `PATCH /v1/contacts/:id/assign`: managers and admins (contacts:write at team scope or wider). */
  @RpcHandler(S.assign)
  async assign(envelope: RequestEnvelope<CrmContactAssignRequest>): Promise<CrmContactView> {
    const actor = envelope.actor!;
    requireScope(actor, 'contacts:write', 'team');
    return this.unitOfWork.run(envelope, async (unit) => {
      const row = await this.lookup.visible(unit.manager, actor, 'contacts:write', envelope.data.id, true);
      await this.manualAssign(unit, actor, row, envelope.data.ownerId, envelope.data.reason ?? 'Assigned by hand');
      return this.tags.view(unit.manager, await this.writer.reload(unit.manager, row));
    });
  }

  /** Gives a just-created contact to `ownerId` (a manual assignment, recorded and emitted). */
  async assignOwner(unit: UnitOfWorkContext, row: ContactRow, ownerId: string, reason: string): Promise<void> {
    await this.engine.assign(
      unit,
      row,
      { agentId: ownerId, pondId: null, ruleId: null, strategy: 'manual', reason, poolId: null, deadlineMinutes: null },
      'reassigned',
    );
  }

  /** Routes a just-created contact by the assignment rules. */
  async routeNew(unit: UnitOfWorkContext, row: ContactRow): Promise<void> {
    await this.engine.route(unit, row);
  }

  private async manualAssign(
    unit: UnitOfWorkContext,
    actor: Actor,
    row: ContactRow,
    ownerId: string | null,
    reason: string,
  ): Promise<void> {
    if (ownerId) await this.assertAssignable(unit.manager, actor, ownerId);
    await this.engine.assign(
      unit,
      row,
      { agentId: ownerId, pondId: null, ruleId: null, strategy: 'manual', reason, poolId: null, deadlineMinutes: null },
      'reassigned',
    );
  }

  /**
   * The new owner must be an active user of the organization (read model) within the caller's
   * reach: agents may only take a contact themselves, managers give to their teams' members.
   */
  private async assertAssignable(manager: EntityManager, actor: Actor, ownerId: string): Promise<void> {
    const scope = scopeOf(actor, 'contacts:write');
    const [user] = (await manager.query(`SELECT user_id, team_ids, status FROM org_user WHERE org_id = $1 AND user_id = $2`, [
      actor.orgId,
      ownerId,
    ])) as Array<{
      user_id: string;
      team_ids: string[];
      status: string;
    }>;
    if (!user || user.status !== 'active') {
      throw new DomainException('validation', CrmErrorCode.UnknownUser, 'The owner is not an active user of this organization', [
        { field: 'ownerId', message: 'is not an active user' },
      ]);
    }
    const inReach =
      scope === 'org' || ownerId === actor.userId || (scope === 'team' && user.team_ids.some((team) => actor.teamIds.includes(team)));
    if (!inReach) throw DomainException.forbidden('OWNER_OUT_OF_SCOPE', 'You may not give contacts to this user');
  }

  /** `GET /v1/contacts/:id/assignment`: the current owner or pond, rule, reason, speed-to-lead deadline and the last 100 assignments. */
  @RpcHandler(S.assignmentGet)
  async assignment(envelope: RequestEnvelope<{ id: string }>): Promise<CrmContactAssignmentView> {
    const row = await this.lookup.visible(this.dataSource.manager, envelope.actor, 'contacts:read', envelope.data.id);
    const history = (await this.dataSource.query(
      `SELECT id, agent_id, pond_id, rule_id, strategy, reason, assigned_by, assigned_at, ended_at, end_reason
         FROM contact_assignment WHERE contact_id = $1 ORDER BY assigned_at DESC, id DESC LIMIT 100`,
      [row.id],
    )) as Array<Record<string, unknown> & { assigned_at: Date; ended_at: Date | null }>;
    return {
      contactId: row.id,
      ownerId: row.owner_id,
      pondId: row.pond_id,
      ruleId: row.assigned_rule_id,
      reason: row.assignment_reason,
      respondBy: row.respond_by?.toISOString() ?? null,
      history: history.map((entry) => ({
        id: entry.id as string,
        agentId: entry.agent_id as string | null,
        pondId: entry.pond_id as string | null,
        ruleId: entry.rule_id as string | null,
        strategy: entry.strategy as CrmContactAssignmentView['history'][number]['strategy'],
        reason: entry.reason as string,
        assignedBy: entry.assigned_by as string | null,
        assignedAt: entry.assigned_at.toISOString(),
        endedAt: entry.ended_at?.toISOString() ?? null,
        endReason: entry.end_reason as string | null,
      })),
    };
  }

  /** `POST /v1/contacts/bulk/status`: all-or-nothing over ≤ 10,000 ids the caller can write. */
  @RpcHandler(S.bulkStatus)
  bulkStatus(envelope: RequestEnvelope<CrmBulkStatusRequest>): Promise<CrmBulkResult> {
    return this.bulk(envelope, envelope.data.ids, async () => (state) => {
      state.status = envelope.data.status;
    });
  }

  /**
   * `POST /v1/contacts/bulk/tags`: `add` names resolve like a contact's `tags` (the caller's
   * personal tag, else the organization's, else a new personal tag; 400 `add[i]` for an API key);
   * `remove` takes off every tag of that name (case-insensitive) whoever defined it.
   */
  @RpcHandler(S.bulkTags)
  bulkTags(envelope: RequestEnvelope<CrmBulkTagsRequest>): Promise<CrmBulkResult> {
    const remove = new Set(distinctNames(envelope.data.remove ?? []).map((name) => name.toLowerCase()));
    return this.bulk(envelope, envelope.data.ids, async (unit) => {
      const errors: FieldError[] = [];
      const add = await this.tags.resolve(
        unit.manager,
        envelope.actor!.orgId,
        authorOf(unit),
        envelope.data.add ?? [],
        { ids: [], names: [] },
        errors,
        'add',
      );
      if (errors.length > 0) throw DomainException.validation(errors);
      return (state) => {
        const ids = [...state.tag_ids];
        const names = [...state.tags];
        add.ids.forEach((id, i) => {
          if (!ids.includes(id)) {
            ids.push(id);
            names.push(add.names[i]);
          }
        });
        const keep = names.map((name) => !remove.has(name.toLowerCase()));
        state.tag_ids = ids.filter((_, i) => keep[i]);
        state.tags = names.filter((_, i) => keep[i]);
      };
    });
  }

  /** `POST /v1/contacts/bulk/assign`: all-or-nothing over ≤ 10,000 ids (managers and admins); the new owner must be assignable by the caller. */
  @RpcHandler(S.bulkAssign)
  async bulkAssign(envelope: RequestEnvelope<CrmBulkAssignRequest>): Promise<CrmBulkResult> {
    const actor = envelope.actor!;
    requireScope(actor, 'contacts:write', 'team');
    const rows = await this.bulkRows(envelope, envelope.data.ids);
    return this.unitOfWork.run(envelope, async (unit) => {
      const locked = await this.lockAll(unit.manager, actor, rows);
      if (envelope.data.ownerId) await this.assertAssignable(unit.manager, actor, envelope.data.ownerId);
      const moving = locked.filter((row) => row.owner_id !== envelope.data.ownerId);
      if (moving.length > 0) await this.engine.assignMany(unit, moving, envelope.data.ownerId, 'Bulk assignment');
      const updated = moving.length;
      return { matched: locked.length, updated };
    });
  }

  /**
   * Set-based bulk change (status, tags, and the score they imply): the contacts are locked in one
   * query, the new state is computed per contact, then written with one UPDATE and one timeline
   * INSERT per 1,000 contacts and one outbox INSERT per 1,000 events of a type (each contact's
   * `crm.contact.updated` before its `crm.contact.score_changed`) — 10,000 ids stay within the RPC
   * deadline.
   */
  private async bulk(
    envelope: RequestEnvelope<{ ids: string[] }>,
    ids: string[],
    prepare: (unit: UnitOfWorkContext) => Promise<(state: ContactState) => void>,
  ): Promise<CrmBulkResult> {
    const actor = envelope.actor!;
    const rows = await this.bulkRows(envelope, ids);
    return this.unitOfWork.run(envelope, async (unit) => {
      const locked = await this.lockAll(unit.manager, actor, rows);
      const change = await prepare(unit);
      const updates: Array<{
        id: string;
        status: string;
        tags: string[];
        tagIds: string[];
        score: CrmContactScore;
        reasons: CrmScoreReason[];
        changes: CrmFieldChanges;
        scoreChange: { from: CrmContactScore; to: CrmContactScore } | null;
      }> = [];
      for (const row of locked) {
        const next = stateOf(row);
        change(next);
        derive(next);
        const changes: CrmFieldChanges = {};
        if (next.status !== row.status) changes.status = { from: row.status, to: next.status };
        if (JSON.stringify(next.tags) !== JSON.stringify(row.tags)) changes.tags = { from: row.tags, to: next.tags };
        const [before, after] = [row.score_override ?? row.score, next.score_override ?? next.score];
        const scoreChange = before !== after ? { from: before, to: after } : null;
        if (scoreChange) changes.score = scoreChange;
        if (Object.keys(changes).length === 0 && JSON.stringify(next.score_reasons) === JSON.stringify(row.score_reasons)) continue;
        updates.push({
          id: row.id,
          status: next.status,
          tags: next.tags,
          tagIds: next.tag_ids,
          score: next.score,
          reasons: next.score_reasons,
          changes,
          scoreChange,
        });
      }
      for (let i = 0; i < updates.length; i += 1000) {
        const chunk = updates.slice(i, i + 1000);
        await unit.manager.query(
          `UPDATE contact c SET status = u.status, tags = ARRAY(SELECT jsonb_array_elements_text(u.tags)),
                  tag_ids = ARRAY(SELECT jsonb_array_elements_text(u.tag_ids)::uuid), score = u.score, score_reasons = u.reasons, updated_at = now()
             FROM jsonb_to_recordset($1::jsonb) AS u(id uuid, status text, tags jsonb, tag_ids jsonb, score text, reasons jsonb)
            WHERE c.id = u.id`,
          [
            JSON.stringify(
              chunk.map(({ id, status, tags, tagIds, score, reasons }) => ({ id, status, tags, tag_ids: tagIds, score, reasons })),
            ),
          ],
        );
        const entries = chunk.flatMap((u) => [
          { id: newId(), contact_id: u.id, kind: 'contact.updated', data: { changes: u.changes, bulk: true } },
          ...(u.changes.status ? [{ id: newId(), contact_id: u.id, kind: 'contact.status_changed', data: u.changes.status }] : []),
        ]);
        await unit.manager.query(
          `INSERT INTO timeline_entry (id, org_id, contact_id, kind, actor_id, data)
           SELECT t.id, $2, t.contact_id, t.kind, $3, t.data FROM jsonb_to_recordset($1::jsonb) AS t(id uuid, contact_id uuid, kind text, data jsonb)`,
          [JSON.stringify(entries), actor.orgId, unit.actorId],
        );
      }
      // Each contact's crm.contact.updated precedes its crm.contact.score_changed (same key, same partition).
      const changed = updates.filter((u) => Object.keys(u.changes).length > 0);
      await unit.emitMany(
        CrmContactEvent.contactUpdated,
        changed.map((u) => ({ subject: u.id, orgId: actor.orgId, data: { contactId: u.id, changes: u.changes } })),
      );
      await unit.emitMany(
        CrmContactEvent.contactScoreChanged,
        changed.flatMap((u) =>
          u.scoreChange ? [{ subject: u.id, orgId: actor.orgId, data: { contactId: u.id, ...u.scoreChange, reasons: u.reasons } }] : [],
        ),
      );
      return { matched: locked.length, updated: changed.length };
    });
  }

  private async bulkRows(envelope: RequestEnvelope, ids: string[]): Promise<string[]> {
    requireScope(envelope.actor, 'contacts:write');
    const unique = [...new Set(ids)];
    if (unique.length === 0) throw DomainException.validation([{ field: 'ids', message: 'must name at least one contact' }]);
    if (unique.length > BULK_MAX_IDS) {
      throw new DomainException('validation', CrmErrorCode.TooManyIds, `At most ${BULK_MAX_IDS} ids per request`, [
        { field: 'ids', message: `must have at most ${BULK_MAX_IDS} ids` },
      ]);
    }
    return unique;
  }

  /** Locks every named contact the caller can write; any id missing or out of scope fails the whole request (404 naming them). */
  private async lockAll(manager: EntityManager, actor: Actor, ids: string[]): Promise<ContactRow[]> {
    const params: unknown[] = [actor.orgId, ids];
    const visibility = contactVisibility(actor, 'contacts:write', params);
    const rows = (await manager.query(
      `SELECT c.* FROM contact c WHERE c.org_id = $1 AND c.id = ANY($2::uuid[]) AND c.deleted_at IS NULL AND ${visibility} ORDER BY c.id FOR UPDATE`,
      params,
    )) as ContactRow[];
    if (rows.length !== ids.length) {
      const found = new Set(rows.map((row) => row.id));
      const missing = ids.filter((id) => !found.has(id));
      throw new DomainException(
        'not_found',
        CrmErrorCode.ContactNotFound,
        'Some contacts do not exist or are out of reach; nothing was changed',
        undefined,
        {
          missingIds: missing.slice(0, 100),
          missingCount: missing.length,
        },
      );
    }
    return rows;
  }
}

/**
 * Who names tags in a write: the acting user (personal tags). An API key acts for the organization,
 * not as its creator: it resolves organization tags only, and an unknown name is a field error.
 */
export function authorOf(unit: UnitOfWorkContext): TagAuthor {
  return { userId: unit.event.actor?.apiKeyId ? null : unit.actorId, unit };
}

export function duplicateConflict(duplicates: CrmContactDuplicate[]): DomainException {
  return new DomainException('conflict', CrmErrorCode.DuplicateContact, 'A contact like this one already exists', undefined, {
    duplicates,
  });
}
