import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type RawBuilder } from 'kysely';
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
  type CrmContactSort,
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
import { kyselyFor, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { isUuid, newId } from '@keyhouse/util';
import { CrmErrorCode } from '../../crm.exception';
import type { CrmDb } from '../../database/crm.db';
import type { ContactCustomFields } from '../../database/crm-json.type';
import { AssignmentEngine } from '../assignment/assignment-engine.service';
import { contactVisibleTo } from '../contacts-core/contact-access.util';
import { ContactLookup } from '../contacts-core/contact-lookup.service';
import { CONTACT_FILTER_DECLARATIONS, type ContactFilterField, type ContactRow } from '../contacts-core/contact.row';
import { stateOf, derive, type ContactState } from '../contacts-core/contact-state.util';
import { ContactTags, distinctNames, type TagAuthor } from '../contacts-core/contact-tags.service';
import { ContactWriter } from '../contacts-core/contact-writer.service';
import { DuplicateDetection, probeOf } from '../contacts-core/duplicate-detection.service';
import { LeadSourceCatalog, usesOf } from '../contacts-core/lead-source-catalog.service';
import { TimelineRecorder } from '../contacts-core/timeline-recorder.service';
import { escapeLike, keysetAfter, keysetStart } from '../shared/list-query.util';
import { ContactMerge } from './contact-merge.service';

/** Most ids one bulk request may name (all-or-nothing). */
export const BULK_MAX_IDS = 10_000;

/** The list orders: the sort key (selected as `sort_key` for the cursor) and its direction; ties by id in the same direction. */
const SORTS: Record<CrmContactSort, { key: RawBuilder<Date | string>; direction: 'asc' | 'desc' }> = {
  createdAt: { key: sql.ref('c.created_at'), direction: 'asc' },
  '-createdAt': { key: sql.ref('c.created_at'), direction: 'desc' },
  updatedAt: { key: sql.ref('c.updated_at'), direction: 'asc' },
  '-updatedAt': { key: sql.ref('c.updated_at'), direction: 'desc' },
  name: { key: sql.ref('c.full_name'), direction: 'asc' },
  '-name': { key: sql.ref('c.full_name'), direction: 'desc' },
  lastContactedAt: { key: sql`coalesce(c.last_contacted_at, 'epoch'::timestamptz)`, direction: 'asc' },
  '-lastContactedAt': { key: sql`coalesce(c.last_contacted_at, 'epoch'::timestamptz)`, direction: 'desc' },
};

/**
 * `CrmContactListRequest` fields that are not a declared column filter (`CONTACT_COLUMNS` `filter`):
 * paging, the sort, and the filters `list` builds itself. A new request field must be one or the
 * other: `everyListFieldHandled` fails to compile otherwise.
 */
type ListFieldByHand = 'cursor' | 'limit' | 'sort' | 'score' | 'tag' | 'tagIds' | 'teamId' | 'customFields' | 'q';
type UnhandledListField = Exclude<keyof CrmContactListRequest, ContactFilterField | ListFieldByHand>;
const everyListFieldHandled: [UnhandledListField] extends [never] ? true : { unhandledListFields: UnhandledListField } = true;
void everyListFieldHandled;

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
    private readonly leadSources: LeadSourceCatalog,
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
    const sort = SORTS[data.sort ?? '-createdAt'] ?? SORTS['-createdAt'];
    let query = kyselyFor<CrmDb>(this.dataSource)
      .selectFrom('contact as c')
      .selectAll('c')
      .select(sort.key.as('sort_key'))
      .where('c.org_id', '=', actor.orgId)
      .where('c.deleted_at', 'is', null)
      .where(contactVisibleTo(actor, 'contacts:read'));
    // The declared column filters (CONTACT_COLUMNS): a list of values, one value, or a [from, to) time range.
    for (const { column, filter } of CONTACT_FILTER_DECLARATIONS) {
      const ref = sql.ref(`c.${column}`);
      if ('any' in filter) {
        const values = data[filter.any];
        if (values?.length) query = query.where(ref, '=', sql`any(${values})`);
      } else if ('equals' in filter) {
        const value = data[filter.equals];
        if (value) query = query.where(ref, '=', value);
      } else {
        const [from, to] = [data[filter.from], data[filter.to]];
        if (from) query = query.where(ref, '>=', sql`${from}::timestamptz`);
        if (to) query = query.where(ref, '<', sql`${to}::timestamptz`);
      }
    }
    if (data.score?.length) query = query.where(sql`coalesce(c.score_override, c.score)`, '=', sql`any(${data.score}::text[])`);
    // A tag name means the definitions of that name the caller sees: the organization's and their own personal one.
    for (const name of distinctNames(data.tag ?? [])) {
      query = query.where((eb) =>
        eb(
          'c.tag_ids',
          '&&',
          sql<string[]>`ARRAY(${eb
            .selectFrom('tag_definition as g')
            .select('g.id')
            .where('g.org_id', '=', actor.orgId)
            .where((g) => g.or([g('g.scope', '=', 'org'), g('g.owner_id', '=', sql<string>`${actor.userId ?? null}::uuid`)]))
            .where(sql<string>`lower(g.name)`, '=', sql<string>`lower(${name})`)})`,
        ),
      );
    }
    if (data.tagIds?.length) query = query.where('c.tag_ids', '@>', sql<string[]>`${data.tagIds}::uuid[]`);
    if (data.teamId) {
      const teamId = data.teamId;
      query = query.where('c.owner_id', 'in', (eb) =>
        eb
          .selectFrom('org_user as u')
          .select('u.user_id')
          .whereRef('u.org_id', '=', 'c.org_id')
          .where((u) => u(sql<string>`${teamId}::uuid`, '=', u.fn.any('u.team_ids'))),
      );
    }
    if (data.customFields && Object.keys(data.customFields).length > 0) {
      query = query.where('c.custom_fields', '@>', sql<ContactCustomFields>`${JSON.stringify(data.customFields)}::jsonb`);
    }
    if (data.q?.trim()) query = query.where('c.search_text', 'ilike', `%${escapeLike(data.q.trim().toLowerCase())}%`);
    const { limit, after } = keysetStart(data.cursor, data.limit);
    if (after) query = query.where(keysetAfter(sort.key, sql.ref('c.id'), sort.direction, after));
    const rows = await query
      .orderBy(sort.key, sort.direction)
      .orderBy('c.id', sort.direction)
      .limit(limit + 1)
      .execute();
    const pageOfRows = toPage(
      rows,
      limit,
      (row) => ({ v: row.sort_key, id: row.id }),
      ({ sort_key: _sortKey, ...row }) => row,
    );
    return { ...pageOfRows, items: await this.tags.views(this.dataSource.manager, pageOfRows.items) };
  }

  /** `GET /v1/companies/:id/contacts`: the contact list of one company of the caller's organization (404 `COMPANY_NOT_FOUND` otherwise). */
  /**
   * A saved filter's lead sources (`sources`, reported under `field[i]`): each must be a source of
   * the organization, archived ones included (history stays searchable). 400 `UNKNOWN_LEAD_SOURCE`.
   */
  async assertSourceFilter(orgId: string, sources: readonly string[] | undefined, field: string): Promise<void> {
    await this.leadSources.assertKnown(this.dataSource, orgId, usesOf(sources, field), { archived: 'allow' });
  }

  @RpcHandler(S.listByCompany)
  async listByCompany(envelope: RequestEnvelope<CrmContactsByCompanyRequest>): Promise<Page<CrmContactView>> {
    requireScope(envelope.actor, 'contacts:read');
    const { id, ...query } = envelope.data;
    const company = isUuid(id)
      ? await kyselyFor<CrmDb>(this.dataSource)
          .selectFrom('company')
          .select('id')
          .where('org_id', '=', envelope.actor!.orgId)
          .where('id', '=', id)
          .where('deleted_at', 'is', null)
          .executeTakeFirst()
      : undefined;
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
      const db = kyselyFor<CrmDb>(unit.manager);
      await db
        .updateTable('contact')
        .set({ deleted_at: sql<Date>`now()`, updated_at: sql<Date>`now()`, pond_id: null })
        .where('id', '=', row.id)
        .execute();
      await db
        .updateTable('contact_assignment')
        .set({ ended_at: sql<Date>`now()`, end_reason: 'deleted' })
        .where('contact_id', '=', row.id)
        .where('ended_at', 'is', null)
        .execute();
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
    const user = await kyselyFor<CrmDb>(manager)
      .selectFrom('org_user')
      .select(['user_id', 'team_ids', 'status'])
      .where('org_id', '=', actor.orgId)
      .where('user_id', '=', ownerId)
      .executeTakeFirst();
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
    const history = await kyselyFor<CrmDb>(this.dataSource)
      .selectFrom('contact_assignment')
      .select(['id', 'agent_id', 'pond_id', 'rule_id', 'strategy', 'reason', 'assigned_by', 'assigned_at', 'ended_at', 'end_reason'])
      .where('contact_id', '=', row.id)
      .orderBy('assigned_at', 'desc')
      .orderBy('id', 'desc')
      .limit(100)
      .execute();
    return {
      contactId: row.id,
      ownerId: row.owner_id,
      pondId: row.pond_id,
      ruleId: row.assigned_rule_id,
      reason: row.assignment_reason,
      respondBy: row.respond_by?.toISOString() ?? null,
      history: history.map((entry) => ({
        id: entry.id,
        agentId: entry.agent_id,
        pondId: entry.pond_id,
        ruleId: entry.rule_id,
        strategy: entry.strategy as CrmContactAssignmentView['history'][number]['strategy'],
        reason: entry.reason,
        assignedBy: entry.assigned_by,
        assignedAt: entry.assigned_at.toISOString(),
        endedAt: entry.ended_at?.toISOString() ?? null,
        endReason: entry.end_reason,
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
      const db = kyselyFor<CrmDb>(unit.manager);
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
        // One UPDATE per chunk from a JSON recordset (the builder has no form for it).
        const values = chunk.map(({ id, status, tags, tagIds, score, reasons }) => ({ id, status, tags, tag_ids: tagIds, score, reasons }));
        await sql`UPDATE contact c SET status = u.status, tags = ARRAY(SELECT jsonb_array_elements_text(u.tags)),
                    tag_ids = ARRAY(SELECT jsonb_array_elements_text(u.tag_ids)::uuid), score = u.score, score_reasons = u.reasons, updated_at = now()
               FROM jsonb_to_recordset(${JSON.stringify(values)}::jsonb) AS u(id uuid, status text, tags jsonb, tag_ids jsonb, score text, reasons jsonb)
              WHERE c.id = u.id`.execute(db);
        const entries = chunk.flatMap((u) => [
          { id: newId(), contact_id: u.id, kind: 'contact.updated', data: { changes: u.changes, bulk: true } },
          ...(u.changes.status ? [{ id: newId(), contact_id: u.id, kind: 'contact.status_changed', data: u.changes.status }] : []),
        ]);
        await sql`INSERT INTO timeline_entry (id, org_id, contact_id, kind, actor_id, data)
                  SELECT t.id, ${actor.orgId}, t.contact_id, t.kind, ${unit.actorId}, t.data
                    FROM jsonb_to_recordset(${JSON.stringify(entries)}::jsonb) AS t(id uuid, contact_id uuid, kind text, data jsonb)`.execute(
          db,
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
    const rows = await kyselyFor<CrmDb>(manager)
      .selectFrom('contact as c')
      .selectAll('c')
      .where('c.org_id', '=', actor.orgId)
      .where('c.id', '=', sql<string>`any(${ids}::uuid[])`)
      .where('c.deleted_at', 'is', null)
      .where(contactVisibleTo(actor, 'contacts:write'))
      .orderBy('c.id')
      .forUpdate()
      .execute();
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
