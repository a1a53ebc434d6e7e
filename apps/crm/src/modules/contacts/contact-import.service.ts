import { Injectable } from '@nestjs/common';
import {
  CRM_CONTACT_STATUSES,
  CRM_CONTACT_TYPES,
  CrmContactSubjects as S,
  type CrmContactInput,
  type CrmImportResult,
  type CrmImportRowsRequest,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { DomainException, RpcHandler, UnitOfWork, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { ContactLookup } from '../contacts-core/contact-lookup.service';
import { derive, mergeStates, stateOf, type ContactState } from '../contacts-core/contact-state.util';
import { ContactWriter } from '../contacts-core/contact-writer.service';
import { authorOf, ContactsService } from './contacts.service';
import type { TagAuthor } from '../contacts-core/contact-tags.service';
import { DuplicateDetection, probeOf } from '../contacts-core/duplicate-detection.service';

/** The source of an imported row that names none. */
export const IMPORT_DEFAULT_SOURCE = 'import';

/** Most rows per import RPC (the gateway sends a large file in several calls). */
export const IMPORT_ROWS_PER_CALL = 500;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * CSV import (`POST /v1/contacts/import`): each mapped row is validated and deduplicated on its
 * own, in ONE transaction per call (the gateway sends ≤ 500 rows per call): first every row is
 * validated (a bad row is reported with its reason and writes nothing), then the valid rows are
 * deduplicated and written in file order. No savepoint per row: 500 subtransactions in one
 * transaction would overflow Postgres' per-backend subtransaction cache (64) and slow every
 * other session's snapshots while the import runs. A duplicate is merged into the existing contact by the
 * intake rule (existing fields win) or skipped; created contacts belong to the importing agent
 * (own scope) or go through the assignment rules. Unknown tag names become personal tags of the
 * importer (docs/adr/0022). A row's `source` must be an active lead source of the organization
 * (else the row is rejected with field `source`; docs/adr/0032); a row without one gets `import`. Delayed work (speed-to-lead jobs) of the rows that stayed is queued
 * after the commit. Any other failure (database, deadlock) fails the whole call: nothing of it
 * is kept, and the gateway answers the error (docs/performance/crm.md has the figures).
 */
@Injectable()
export class ContactImportService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly contacts: ContactsService,
    private readonly writer: ContactWriter,
    private readonly duplicates: DuplicateDetection,
    private readonly lookup: ContactLookup,
  ) {}

  /** `POST /v1/contacts/import`, one call of ≤ 500 mapped rows: counts of created and merged contacts and the rejected rows with their reasons (400 for more rows). */
  @RpcHandler(S.importRows)
  async importRows(envelope: RequestEnvelope<CrmImportRowsRequest>): Promise<CrmImportResult> {
    const actor = envelope.actor!;
    const scope = requireScope(actor, 'contacts:write');
    if (envelope.data.rows.length > IMPORT_ROWS_PER_CALL)
      throw DomainException.validation([{ field: 'rows', message: `at most ${IMPORT_ROWS_PER_CALL} rows per call` }]);
    const result: CrmImportResult = { created: 0, merged: 0, rejected: [] };
    const pending: Array<{ row: number; input: CrmContactInput }> = [];
    for (const { row, values } of envelope.data.rows) {
      const problem = checkRow(values);
      if (problem) result.rejected.push({ row, ...problem });
      else pending.push({ row, input: inputOf(values) });
    }
    if (pending.length === 0) return sortRejected(result);
    // The unit's memo is reused across the call's rows: the organization's rules and agents; the author's map: the tags named so far.
    await this.unitOfWork.run(
      envelope,
      async (unit) => {
        const author: TagAuthor = { ...authorOf(unit), resolved: new Map() };
        // Pass 1: validate every row (custom fields, referrer, company, phones, tags). Nothing but
        // implicit personal tags is written here, so a bad row needs no rollback of its own.
        const valid: Array<{ row: number; state: ContactState }> = [];
        for (const { row, input } of pending) {
          try {
            const state = await this.writer.stateFromInput(unit.manager, actor.orgId, input, author);
            // A row without a source gets `import`, the system's choice (not checked: it stays valid once archived).
            if (!state.source) {
              state.source = IMPORT_DEFAULT_SOURCE;
              derive(state);
            }
            valid.push({ row, state });
          } catch (error) {
            if (!(error instanceof DomainException && error.kind === 'validation')) throw error;
            result.rejected.push({ row, reason: error.errors?.[0]?.message ?? error.message, field: error.errors?.[0]?.field });
          }
        }
        // Pass 2: deduplicate and write, in file order (a later row sees the contacts of earlier ones).
        for (const { row, state } of valid) {
          const outcome = await this.importOne(unit, envelope, scope, row, state);
          if (outcome === 'created') result.created += 1;
          else if (outcome === 'merged') result.merged += 1;
          else result.rejected.push({ row, reason: outcome });
        }
      },
      { memo: true },
    );
    return sortRejected(result);
  }

  /** One row inside the call's transaction: `created`, `merged`, or the reason it was skipped. */
  private async importOne(
    unit: UnitOfWorkContext,
    envelope: RequestEnvelope<CrmImportRowsRequest>,
    scope: string,
    row: number,
    state: ContactState,
  ): Promise<string> {
    const actor = envelope.actor!;
    await this.duplicates.lockIdentity(unit.manager, actor.orgId, state);
    const found = await this.duplicates.find(unit.manager, actor.orgId, probeOf(state), 1);
    if (found[0]) {
      if (envelope.data.onDuplicate === 'skip') return `duplicate of ${found[0].id} (${found[0].reason})`;
      const existing = await this.lookup.visible(unit.manager, actor, 'contacts:write', found[0].id, true).catch(() => null);
      if (!existing) return `duplicate of a contact you cannot change (${found[0].reason})`;
      const next = mergeStates(stateOf(existing), state);
      derive(next);
      await this.writer.save(unit, existing, next, 'contact.updated_by_import');
      return 'merged';
    }
    if (scope === 'own') state.owner_id = null;
    const created = await this.writer.insert(unit, actor.orgId, state, { timelineData: { imported: true, row } });
    if (scope === 'own' && actor.userId) await this.contacts.assignOwner(unit, created, actor.userId, 'Imported by the agent');
    else await this.contacts.routeNew(unit, created);
    return 'created';
  }
}

function inputOf(values: Record<string, string | undefined>): CrmContactInput {
  return {
    firstName: values.firstName || null,
    lastName: values.lastName || null,
    email: values.email || null,
    phone: values.phone || null,
    type: (values.type as CrmContactInput['type']) || null,
    status: (values.status as CrmContactInput['status']) || undefined,
    source: values.source?.trim() || null,
    tags: values.tags ? values.tags.split(/[;,]/) : undefined,
    address: { street: values.street, city: values.city, state: values.state, postalCode: values.postalCode },
    preferences:
      values.minPriceCents || values.maxPriceCents
        ? {
            minPriceCents: values.minPriceCents ? Number(values.minPriceCents) : null,
            maxPriceCents: values.maxPriceCents ? Number(values.maxPriceCents) : null,
          }
        : undefined,
  };
}

/** Rejections in file order (rows checked up front and rows refused in the transaction interleave). */
function sortRejected(result: CrmImportResult): CrmImportResult {
  result.rejected.sort((a, b) => a.row - b.row);
  return result;
}

function checkRow(values: Record<string, string | undefined>): { reason: string; field?: string } | null {
  if (!values.email && !values.phone && !values.lastName && !values.firstName) return { reason: 'the row has no name, email or phone' };
  if (values.email && !EMAIL.test(values.email)) return { reason: 'is not an email address', field: 'email' };
  if (values.type && !(CRM_CONTACT_TYPES as readonly string[]).includes(values.type))
    return { reason: `must be one of ${CRM_CONTACT_TYPES.join(', ')}`, field: 'type' };
  if (values.status && !(CRM_CONTACT_STATUSES as readonly string[]).includes(values.status))
    return { reason: `must be one of ${CRM_CONTACT_STATUSES.join(', ')}`, field: 'status' };
  for (const field of ['minPriceCents', 'maxPriceCents']) {
    if (values[field] && !/^\d{1,13}$/.test(values[field]!)) return { reason: 'must be a whole number of cents', field };
  }
  return null;
}
