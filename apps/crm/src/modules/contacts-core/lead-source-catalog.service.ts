import { Injectable } from '@nestjs/common';
import { sql, type Selectable } from 'kysely';
import type { EntityManager } from 'typeorm';
import { CRM_DEFAULT_LEAD_SOURCE_LABELS, CRM_LEAD_SOURCES, type FieldError } from '@keyhouse/contracts';
import { kyselyFor, type SqlRunner } from '@keyhouse/platform/database';
import { DomainException } from '@keyhouse/platform/messaging';
import { CrmErrorCode } from '../../crm.exception';
import type { CrmDb } from '../../database/crm.db';

/** The columns of `lead_source` the services read (all but the times). */
export const LEAD_SOURCE_COLUMNS = ['key', 'label', 'archived_at', 'position'] as const;

/** One source of an organization's list (a stored `lead_source` row, or a default not stored yet). */
export type LeadSourceEntry = Pick<Selectable<CrmDb['lead_source']>, (typeof LEAD_SOURCE_COLUMNS)[number]>;

/** The defaults as entries, in `CRM_LEAD_SOURCES` order (positions 0–12). */
export const DEFAULT_LEAD_SOURCE_ENTRIES: readonly LeadSourceEntry[] = CRM_LEAD_SOURCES.map((key, position) => ({
  key,
  label: CRM_DEFAULT_LEAD_SOURCE_LABELS[key],
  archived_at: null,
  position,
}));

/** True for a default key (`CRM_LEAD_SOURCES`). */
export const isBuiltInLeadSource = (key: string): boolean => (CRM_LEAD_SOURCES as readonly string[]).includes(key);

/** A source value to check, with the request field it came from (`source`, `conditions.sources[1]`, ...). */
export interface LeadSourceUse {
  key: string;
  field: string;
}

/**
 * How `LeadSourceCatalog.check` treats an archived source: `refuse` it (a new write, a new rule
 * condition) unless it is in `keep` (the value already stored: a contact's own source, a rule's
 * existing condition), or `allow` it (list filters: history stays searchable).
 */
export interface LeadSourceCheckOptions {
  archived: 'refuse' | 'allow';
  keep?: ReadonlyArray<string | null>;
}

/**
 * The 400 of a request with `errors`: code `UNKNOWN_LEAD_SOURCE` when every field error is an
 * unknown or archived lead source (the problem names the cause), `VALIDATION_FAILED` otherwise
 * (each field error still carries its own code).
 */
export function validationFailure(errors: FieldError[]): DomainException {
  const onlySources = errors.length > 0 && errors.every((error) => error.code === CrmErrorCode.UnknownLeadSource);
  return DomainException.validation(errors, onlySources ? CrmErrorCode.UnknownLeadSource : undefined);
}

/**
 * The organization's lead sources as the other crm modules read them (docs/adr/0032): an
 * organization that never changed its list has the defaults (`CRM_LEAD_SOURCES`, labels
 * `CRM_DEFAULT_LEAD_SOURCE_LABELS`), read from the constant; the first change copies them into
 * `lead_source` (`materialize`, in that change's unit of work) and marks the organization in
 * `lead_source_list`, after which the stored rows are the list (a deleted default stays deleted).
 * Validation of a source (`check`) is one indexed read (the marker joined with the keys named).
 */
@Injectable()
export class LeadSourceCatalog {
  /** The organization's sources in position order (then key), archived ones included. */
  async entries(runner: SqlRunner, orgId: string): Promise<LeadSourceEntry[]> {
    if (!(await this.isStored(runner, orgId))) return DEFAULT_LEAD_SOURCE_ENTRIES.map((entry) => ({ ...entry }));
    return kyselyFor<CrmDb>(runner)
      .selectFrom('lead_source')
      .select(LEAD_SOURCE_COLUMNS)
      .where('org_id', '=', orgId)
      .orderBy('position')
      .orderBy('key')
      .execute();
  }

  /**
   * Before the first change of an organization's list: marks it in `lead_source_list` and copies
   * the defaults into `lead_source` (`INSERT … ON CONFLICT DO NOTHING`, in the caller's
   * transaction; only the transaction that inserted the marker copies, so a default deleted by an
   * earlier change is not copied again). Then locks the marker row (`FOR UPDATE`) so that changes
   * of one organization's list (positions) run one after the other.
   */
  async materialize(manager: EntityManager, orgId: string): Promise<void> {
    const db = kyselyFor<CrmDb>(manager);
    const marked = await db
      .insertInto('lead_source_list')
      .values({ org_id: orgId })
      .onConflict((oc) => oc.column('org_id').doNothing())
      .returning('org_id')
      .executeTakeFirst();
    if (marked) {
      await db
        .insertInto('lead_source')
        .values(
          DEFAULT_LEAD_SOURCE_ENTRIES.map((entry) => ({ org_id: orgId, key: entry.key, label: entry.label, position: entry.position })),
        )
        .onConflict((oc) => oc.columns(['org_id', 'key']).doNothing())
        .execute();
    }
    await db.selectFrom('lead_source_list').select('org_id').where('org_id', '=', orgId).forUpdate().execute();
  }

  /**
   * Adds a field error (code `UNKNOWN_LEAD_SOURCE`, on the use's `field`) for every use whose key
   * is not in the organization's list, or is archived while `options.archived` is `refuse` and the
   * key is not in `options.keep`.
   */
  async check(
    runner: SqlRunner,
    orgId: string,
    uses: LeadSourceUse[],
    options: LeadSourceCheckOptions,
    errors: FieldError[],
  ): Promise<void> {
    if (uses.length === 0) return;
    const keys = [...new Set(uses.map((use) => use.key))];
    const found = new Map<string, Pick<LeadSourceEntry, 'key' | 'archived_at'>>();
    // One read: no row = the list is the defaults; else the marker joined with the keys it has.
    const rows = await kyselyFor<CrmDb>(runner)
      .selectFrom('lead_source_list as l')
      .leftJoin('lead_source as s', (join) => join.onRef('s.org_id', '=', 'l.org_id').on('s.key', '=', sql<string>`any(${keys}::text[])`))
      .select(['s.key', 's.archived_at'])
      .where('l.org_id', '=', orgId)
      .execute();
    if (rows.length > 0) {
      for (const row of rows) if (row.key) found.set(row.key, { key: row.key, archived_at: row.archived_at });
    } else {
      for (const entry of DEFAULT_LEAD_SOURCE_ENTRIES) if (keys.includes(entry.key)) found.set(entry.key, entry);
    }
    const keep = new Set(options.keep ?? []);
    for (const use of uses) {
      const entry = found.get(use.key);
      if (!entry) {
        errors.push({
          field: use.field,
          message: `'${use.key}' is not a lead source of this organization`,
          code: CrmErrorCode.UnknownLeadSource,
        });
      } else if (entry.archived_at && options.archived === 'refuse' && !keep.has(use.key)) {
        errors.push({ field: use.field, message: `'${use.key}' is an archived lead source`, code: CrmErrorCode.UnknownLeadSource });
      }
    }
  }

  /** `check` that throws: 400 `UNKNOWN_LEAD_SOURCE` naming every bad use. */
  async assertKnown(runner: SqlRunner, orgId: string, uses: LeadSourceUse[], options: LeadSourceCheckOptions): Promise<void> {
    const errors: FieldError[] = [];
    await this.check(runner, orgId, uses, options, errors);
    if (errors.length > 0) throw validationFailure(errors);
  }

  /** Whether the organization's list is stored (it changed it once), else it is the defaults. */
  private async isStored(runner: SqlRunner, orgId: string): Promise<boolean> {
    const row = await kyselyFor<CrmDb>(runner)
      .selectFrom('lead_source_list')
      .select('org_id')
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    return row !== undefined;
  }
}

/** The uses of a list of keys under `field` (`field[0]`, `field[1]`, ...). */
export function usesOf(keys: readonly string[] | undefined | null, field: string): LeadSourceUse[] {
  return (keys ?? []).map((key, i) => ({ key, field: `${field}[${i}]` }));
}
