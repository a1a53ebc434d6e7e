import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';
import {
  CRM_LEAD_SOURCE_KEY_PATTERN,
  CRM_LEAD_SOURCE_LABEL_MAX_LENGTH,
  CrmLeadSourceEvent,
  CrmLeadSourceSubjects as L,
  type Actor,
  type CrmFieldChanges,
  type CrmLeadSourceCreateRequest,
  type CrmLeadSourceEventData,
  type CrmLeadSourceListRequest,
  type CrmLeadSourceReport,
  type CrmLeadSourceReportCounts,
  type CrmLeadSourceReportRequest,
  type CrmLeadSourceReportRow,
  type CrmLeadSourceUpdateRequest,
  type CrmLeadSourceView,
  type FieldError,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { hasPermission, requireScope } from '@keyhouse/platform/auth';
import { kyselyFor, type SqlRunner } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { CrmErrorCode } from '../../crm.exception';
import type { CrmDb } from '../../database/crm.db';
import { contactVisibleTo } from '../contacts-core/contact-access.util';
import {
  isBuiltInLeadSource,
  LEAD_SOURCE_COLUMNS,
  LeadSourceCatalog,
  type LeadSourceEntry,
} from '../contacts-core/lead-source-catalog.service';

const KEY = new RegExp(CRM_LEAD_SOURCE_KEY_PATTERN);
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;
/** The report's default period: this many UTC days, ending today. */
export const LEAD_SOURCE_REPORT_DEFAULT_DAYS = 90;
/** Label of the report row of contacts without a source. */
export const NO_SOURCE_LABEL = 'No source';

const notFound = () => DomainException.notFound(CrmErrorCode.LeadSourceNotFound, 'Lead source');

function toView(entry: LeadSourceEntry, contactCount: number): CrmLeadSourceView {
  return {
    key: entry.key,
    label: entry.label,
    archived: entry.archived_at !== null,
    position: entry.position,
    builtIn: isBuiltInLeadSource(entry.key),
    contactCount,
  };
}

function eventData(entry: LeadSourceEntry, changes?: CrmFieldChanges): CrmLeadSourceEventData {
  return {
    sourceKey: entry.key,
    label: entry.label,
    archived: entry.archived_at !== null,
    position: entry.position,
    builtIn: isBuiltInLeadSource(entry.key),
    ...(changes ? { changes } : {}),
  };
}

/** A label trimmed, 1–60 characters, else a field error on `label`. */
function labelOf(label: string, errors: FieldError[]): string {
  const trimmed = label.trim();
  if (trimmed.length < 1 || trimmed.length > CRM_LEAD_SOURCE_LABEL_MAX_LENGTH)
    errors.push({ field: 'label', message: `must be 1 to ${CRM_LEAD_SOURCE_LABEL_MAX_LENGTH} characters` });
  return trimmed;
}

/** `YYYY-MM-DD` of a UTC time. */
const dayOf = (time: number): string => new Date(time).toISOString().slice(0, 10);

/** The UTC midnight starting `day` (`YYYY-MM-DD`), or null for a malformed or impossible date. */
function midnightOf(day: string): number | null {
  if (!DATE.test(day)) return null;
  const time = Date.parse(`${day}T00:00:00.000Z`);
  return Number.isNaN(time) || dayOf(time) !== day ? null : time;
}

/**
 * The report's counts from its per-status tallies. Conversion: `closed * 10000 / leads` basis
 * points rounded half up to an integer (`Math.round` of a non-negative number), 0 without leads.
 */
function countsOf(tally: Omit<CrmLeadSourceReportCounts, 'conversionRateBps'>): CrmLeadSourceReportCounts {
  return { ...tally, conversionRateBps: tally.leads === 0 ? 0 : Math.round((tally.closed * 10_000) / tally.leads) };
}

/**
 * The organization's lead sources (issue 13 item 16; docs/adr/0032-organization-lead-sources.md):
 * the list (`organizations:read`), its changes (`organizations:write` at org scope: add, relabel,
 * archive or restore, move, delete an unused one; each emits `crm.lead_source.created|updated|deleted`)
 * and the lead-source report (`reports:read`, narrowed by its scope). The list is read and the
 * defaults copied on the first change by `LeadSourceCatalog`, which the contact, intake, import,
 * rule and smart-list paths validate sources with.
 */
@Injectable()
export class LeadSourcesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
    private readonly catalog: LeadSourceCatalog,
  ) {}

  /**
   * `crm.lead-sources.list`: the organization's sources in position order, active ones only
   * unless `includeArchived`; `contactCount` counts the live contacts with the source that the
   * caller may read (`contacts:read` scope; 0 without it). 403 without `organizations:read`.
   */
  @RpcHandler(L.list)
  async list(envelope: RequestEnvelope<CrmLeadSourceListRequest>): Promise<CrmLeadSourceView[]> {
    const actor = envelope.actor!;
    requireScope(actor, 'organizations:read');
    const entries = await this.catalog.entries(this.dataSource, actor.orgId);
    const counts = await this.readableCounts(actor);
    return entries
      .filter((entry) => envelope.data.includeArchived || entry.archived_at === null)
      .map((entry) => toView(entry, counts.get(entry.key) ?? 0));
  }

  /**
   * `crm.lead-sources.create`: adds a source at the end of the list (copying the defaults first
   * if the organization never changed its list) and emits `crm.lead_source.created`. Answers the
   * view. 400 for a key not matching `CRM_LEAD_SOURCE_KEY_PATTERN` or a label not 1–60
   * characters; 403 without `organizations:write` at org scope; 409 `LEAD_SOURCE_EXISTS` for a key
   * the organization has (archived included).
   */
  @RpcHandler(L.create)
  async create(envelope: RequestEnvelope<CrmLeadSourceCreateRequest>): Promise<CrmLeadSourceView> {
    const actor = envelope.actor!;
    requireScope(actor, 'organizations:write', 'org');
    const errors: FieldError[] = [];
    const key = envelope.data.key;
    if (!KEY.test(key)) errors.push({ field: 'key', message: 'must be a lowercase slug: a-z, 0-9 and _, at most 40 characters' });
    const label = labelOf(envelope.data.label, errors);
    if (errors.length > 0) throw DomainException.validation(errors);
    const row = await this.unitOfWork.run(envelope, async (unit) => {
      const db = kyselyFor<CrmDb>(unit.manager);
      await this.catalog.materialize(unit.manager, actor.orgId);
      if (await this.stored(unit.manager, actor.orgId, key)) {
        throw new DomainException('conflict', CrmErrorCode.LeadSourceExists, 'The organization has this lead source', [
          { field: 'key', message: `'${key}' is already a lead source of this organization`, code: CrmErrorCode.LeadSourceExists },
        ]);
      }
      const { next } = await db
        .selectFrom('lead_source')
        .select(sql<number>`coalesce(max(position) + 1, 0)::int`.as('next'))
        .where('org_id', '=', actor.orgId)
        .executeTakeFirstOrThrow();
      const row = await db
        .insertInto('lead_source')
        .values({ org_id: actor.orgId, key, label, position: next })
        .returning(LEAD_SOURCE_COLUMNS)
        .executeTakeFirstOrThrow();
      await unit.emit(CrmLeadSourceEvent.leadSourceCreated, key, actor.orgId, eventData(row));
      return row;
    });
    return toView(row, await this.readableCount(actor, key));
  }

  /**
   * `crm.lead-sources.update`: relabels, archives (`archived: true`; kept on contacts and rules,
   * valid in list filters, refused for new writes) or restores, and moves a source (`position`:
   * its new 0-based place, clamped to the list; the others close up). Emits
   * `crm.lead_source.updated` with the changes; nothing when nothing changed. Answers the view.
   * 400 for a label not 1–60 characters; 403 as `create`; 404 `LEAD_SOURCE_NOT_FOUND`.
   */
  @RpcHandler(L.update)
  async update(envelope: RequestEnvelope<CrmLeadSourceUpdateRequest>): Promise<CrmLeadSourceView> {
    const actor = envelope.actor!;
    requireScope(actor, 'organizations:write', 'org');
    const data = envelope.data;
    const errors: FieldError[] = [];
    const label = data.label !== undefined ? labelOf(data.label, errors) : undefined;
    if (data.position !== undefined && (!Number.isInteger(data.position) || data.position < 0))
      errors.push({ field: 'position', message: 'must be a whole number from 0' });
    if (errors.length > 0) throw DomainException.validation(errors);
    const row = await this.unitOfWork.run(envelope, async (unit) => {
      await this.catalog.materialize(unit.manager, actor.orgId);
      const before = await this.stored(unit.manager, actor.orgId, data.key);
      if (!before) throw notFound();
      const db = kyselyFor<CrmDb>(unit.manager);
      const changes: CrmFieldChanges = {};
      const archived = data.archived ?? before.archived_at !== null;
      if (label !== undefined && label !== before.label) changes.label = { from: before.label, to: label };
      if (archived !== (before.archived_at !== null)) changes.archived = { from: !archived, to: archived };
      if (changes.label || changes.archived) {
        await db
          .updateTable('lead_source')
          .set({
            label: label ?? before.label,
            archived_at: archived ? sql<Date>`coalesce(archived_at, now())` : null,
            updated_at: sql<Date>`now()`,
          })
          .where('org_id', '=', actor.orgId)
          .where('key', '=', before.key)
          .execute();
      }
      if (data.position !== undefined) {
        const position = await this.move(unit, actor.orgId, before.key, data.position);
        if (position !== before.position) changes.position = { from: before.position, to: position };
      }
      const after = (await this.stored(unit.manager, actor.orgId, before.key))!;
      if (Object.keys(changes).length > 0)
        await unit.emit(CrmLeadSourceEvent.leadSourceUpdated, after.key, actor.orgId, eventData(after, changes));
      return after;
    });
    return toView(row, await this.readableCount(actor, row.key));
  }

  /**
   * `crm.lead-sources.delete`: deletes a source no live contact, live assignment rule (condition)
   * or smart list (filter) names; the sources after it move up one place. Emits
   * `crm.lead_source.deleted` with the source as it was. No content. 403 as `create`; 404
   * `LEAD_SOURCE_NOT_FOUND`; 409 `LEAD_SOURCE_IN_USE` (archive it instead) with `details: {
   * contacts, rules, smartLists }` (how many name it).
   */
  @RpcHandler(L.delete)
  async delete(envelope: RequestEnvelope<{ key: string }>): Promise<void> {
    const actor = envelope.actor!;
    requireScope(actor, 'organizations:write', 'org');
    await this.unitOfWork.run(envelope, async (unit) => {
      await this.catalog.materialize(unit.manager, actor.orgId);
      const before = await this.stored(unit.manager, actor.orgId, envelope.data.key);
      if (!before) throw notFound();
      const usage = await this.usage(unit.manager, actor.orgId, before.key);
      if (usage.contacts + usage.rules + usage.smartLists > 0) {
        throw new DomainException(
          'conflict',
          CrmErrorCode.LeadSourceInUse,
          'The lead source is in use; archive it instead',
          [
            {
              field: 'key',
              message: `is named by ${usage.contacts} contact(s), ${usage.rules} assignment rule(s) and ${usage.smartLists} smart list(s)`,
              code: CrmErrorCode.LeadSourceInUse,
            },
          ],
          { ...usage },
        );
      }
      const db = kyselyFor<CrmDb>(unit.manager);
      await db.deleteFrom('lead_source').where('org_id', '=', actor.orgId).where('key', '=', before.key).execute();
      await db
        .updateTable('lead_source')
        .set({ position: sql<number>`position - 1`, updated_at: sql<Date>`now()` })
        .where('org_id', '=', actor.orgId)
        .where('position', '>', before.position)
        .execute();
      await unit.emit(CrmLeadSourceEvent.leadSourceDeleted, before.key, actor.orgId, eventData(before));
    });
  }

  /**
   * `crm.lead-sources.report`: for the contacts created in the period (`from`/`to`, UTC days, both
   * inclusive; default the last 90 days ending today) that the caller reaches with `reports:read`
   * (own: the contacts they own; team: also their teams' members'; org: all), per source the leads
   * and how many of them are now `contacted`, `qualified`, `closed` or `lost`, and the conversion
   * `closed / leads` in basis points rounded half up (`countsOf`). Every active source is listed
   * (zero leads too); archived sources, keys no longer listed and contacts without a source
   * (`key: null`) only with leads. Sorted by leads descending, then list position, then key.
   * 400 for a malformed date or `from` after `to`; 403 without `reports:read`.
   */
  @RpcHandler(L.report)
  async report(envelope: RequestEnvelope<CrmLeadSourceReportRequest>): Promise<CrmLeadSourceReport> {
    const actor = envelope.actor!;
    requireScope(actor, 'reports:read');
    const { from, to, start, end } = periodOf(envelope.data);
    const rows = await kyselyFor<CrmDb>(this.dataSource)
      .selectFrom('contact as c')
      .select([
        'c.source',
        sql<number>`count(*)::int`.as('leads'),
        sql<number>`(count(*) FILTER (WHERE c.status = 'contacted'))::int`.as('contacted'),
        sql<number>`(count(*) FILTER (WHERE c.status = 'qualified'))::int`.as('qualified'),
        sql<number>`(count(*) FILTER (WHERE c.status = 'closed'))::int`.as('closed'),
        sql<number>`(count(*) FILTER (WHERE c.status = 'lost'))::int`.as('lost'),
      ])
      .where('c.org_id', '=', actor.orgId)
      .where('c.deleted_at', 'is', null)
      .where('c.created_at', '>=', start)
      .where('c.created_at', '<', end)
      .where(contactVisibleTo(actor, 'reports:read'))
      .groupBy('c.source')
      .execute();
    const tallies = new Map(rows.map(({ source, ...tally }) => [source, tally]));
    const zero = { leads: 0, contacted: 0, qualified: 0, closed: 0, lost: 0 };
    const entries = await this.catalog.entries(this.dataSource, actor.orgId);
    const listed = new Map(entries.map((entry) => [entry.key, entry]));
    const ranked: Array<{ row: CrmLeadSourceReportRow; position: number }> = [];
    for (const entry of entries) {
      const tally = tallies.get(entry.key);
      if (entry.archived_at === null || tally)
        ranked.push({ row: { key: entry.key, label: entry.label, ...countsOf(tally ?? zero) }, position: entry.position });
    }
    for (const [source, tally] of tallies) {
      if (source !== null && listed.has(source)) continue;
      ranked.push({
        row: { key: source, label: source ?? NO_SOURCE_LABEL, ...countsOf(tally) },
        position: source === null ? Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER - 1,
      });
    }
    ranked.sort((a, b) => b.row.leads - a.row.leads || a.position - b.position || (a.row.key ?? '').localeCompare(b.row.key ?? ''));
    const total = { ...zero };
    for (const tally of tallies.values()) for (const field of Object.keys(total) as Array<keyof typeof total>) total[field] += tally[field];
    return { from, to, sources: ranked.map((item) => item.row), totals: countsOf(total) };
  }

  /** A stored source of the organization, locked for the transaction (null when absent). */
  private async stored(manager: EntityManager, orgId: string, key: string): Promise<LeadSourceEntry | null> {
    const row = await kyselyFor<CrmDb>(manager)
      .selectFrom('lead_source')
      .select(LEAD_SOURCE_COLUMNS)
      .where('org_id', '=', orgId)
      .where('key', '=', key)
      .forUpdate()
      .executeTakeFirst();
    return row ?? null;
  }

  /**
   * Moves `key` to `position` (clamped to the list) and renumbers the list 0…n-1 in its order;
   * answers the source's new position. The list is locked by `materialize` (one change at a time).
   */
  private async move(unit: UnitOfWorkContext, orgId: string, key: string, position: number): Promise<number> {
    const db = kyselyFor<CrmDb>(unit.manager);
    const keys = (await this.catalog.entries(unit.manager, orgId)).map((entry) => entry.key).filter((other) => other !== key);
    const target = Math.min(position, keys.length);
    keys.splice(target, 0, key);
    // Raw SQL: the new order as an unnested array joined to the rows (no builder form for UPDATE … FROM unnest WITH ORDINALITY).
    await sql`UPDATE lead_source s SET position = o.n - 1, updated_at = now()
                FROM unnest(${keys}::text[]) WITH ORDINALITY AS o(key, n)
               WHERE s.org_id = ${orgId} AND s.key = o.key AND s.position <> o.n - 1`.execute(db);
    return target;
  }

  /** How many live contacts, live assignment rules (`conditions.sources`) and smart lists (`filters.source`) name `key`. */
  private async usage(runner: SqlRunner, orgId: string, key: string): Promise<{ contacts: number; rules: number; smartLists: number }> {
    const db = kyselyFor<CrmDb>(runner);
    const { contacts } = await db
      .selectFrom('contact')
      .select(sql<number>`count(*)::int`.as('contacts'))
      .where('org_id', '=', orgId)
      .where('source', '=', key)
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow();
    const { rules } = await db
      .selectFrom('assignment_rule')
      .select(sql<number>`count(*)::int`.as('rules'))
      .where('org_id', '=', orgId)
      .where('deleted_at', 'is', null)
      .where(sql<boolean>`jsonb_typeof(conditions->'sources') = 'array' AND conditions->'sources' ? ${key}`)
      .executeTakeFirstOrThrow();
    const { smartLists } = await db
      .selectFrom('smart_list')
      .select(sql<number>`count(*)::int`.as('smartLists'))
      .where('org_id', '=', orgId)
      .where(sql<boolean>`jsonb_typeof(filters->'source') = 'array' AND filters->'source' ? ${key}`)
      .executeTakeFirstOrThrow();
    return { contacts, rules, smartLists };
  }

  /** Live contacts per source that `actor` may read (`contacts:read` scope; none without it). */
  private async readableCounts(actor: Actor, key?: string): Promise<Map<string, number>> {
    if (!hasPermission(actor, 'contacts:read')) return new Map();
    let query = kyselyFor<CrmDb>(this.dataSource)
      .selectFrom('contact as c')
      .select(['c.source', sql<number>`count(*)::int`.as('count')])
      .where('c.org_id', '=', actor.orgId)
      .where('c.deleted_at', 'is', null)
      .where('c.source', 'is not', null)
      .where(contactVisibleTo(actor, 'contacts:read'))
      .groupBy('c.source');
    if (key !== undefined) query = query.where('c.source', '=', key);
    const rows = await query.execute();
    return new Map(rows.map((row) => [row.source!, row.count]));
  }

  private async readableCount(actor: Actor, key: string): Promise<number> {
    return (await this.readableCounts(actor, key)).get(key) ?? 0;
  }
}

/**
 * The report period: `from`/`to` as given (`YYYY-MM-DD`, UTC days, both inclusive), `to`
 * defaulting to today and `from` to `to` minus 89 days; `start` is `from`'s midnight and `end` the
 * midnight after `to` (exclusive). 400 (`from`, `to`) for a malformed or impossible date or `from`
 * after `to`.
 */
export function periodOf(request: CrmLeadSourceReportRequest, now = Date.now()): { from: string; to: string; start: Date; end: Date } {
  const errors: FieldError[] = [];
  const toDay = request.to ?? dayOf(now);
  const toStart = midnightOf(toDay);
  if (toStart === null) errors.push({ field: 'to', message: 'must be a date, YYYY-MM-DD' });
  const fromDay = request.from ?? (toStart === null ? null : dayOf(toStart - (LEAD_SOURCE_REPORT_DEFAULT_DAYS - 1) * DAY_MS));
  const fromStart = fromDay === null ? null : midnightOf(fromDay);
  if (request.from !== undefined && fromStart === null) errors.push({ field: 'from', message: 'must be a date, YYYY-MM-DD' });
  if (fromStart !== null && toStart !== null && fromStart > toStart) errors.push({ field: 'from', message: 'must not be after to' });
  if (errors.length > 0 || fromStart === null || toStart === null) throw DomainException.validation(errors);
  return { from: fromDay!, to: toDay, start: new Date(fromStart), end: new Date(toStart + DAY_MS) };
}
