import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { EntityManager } from 'typeorm';
import { CrmContactEvent, type CrmContactInput, type CrmFieldChanges, type FieldError } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import type { UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { isUuid, newId } from '@keyhouse/util';
import { CRM_CONFIG, type CrmConfig } from '../../config/crm.config';
import { CrmErrorCode } from '../../crm.exception';
import type { CrmDb } from '../../database/crm.db';
import { toContactView, type ContactRow } from './contact.row';
import { applyInput, derive, emptyState, STATE_COLUMNS, stateOf, stateValues, type ContactState } from './contact-state.util';
import { CustomFieldsService } from './custom-fields.service';
import { ContactLookup } from './contact-lookup.service';
import { ContactTags, type TagAuthor } from './contact-tags.service';
import { LeadSourceCatalog, validationFailure } from './lead-source-catalog.service';
import { TimelineRecorder } from './timeline-recorder.service';

/**
 * Writes contacts for every entry point (API, import, intake, merge, jobs, consumers): validation of the input against the
 * organization's custom fields, derived columns and score, the row, its timeline entry and its
 * domain event, all in the caller's unit of work.
 */
@Injectable()
export class ContactWriter {
  constructor(
    @Inject(CRM_CONFIG) private readonly config: CrmConfig,
    private readonly customFields: CustomFieldsService,
    private readonly timeline: TimelineRecorder,
    private readonly lookup: ContactLookup,
    private readonly tags: ContactTags,
    private readonly leadSources: LeadSourceCatalog,
  ) {}

  /**
   * Builds and validates the state of a new contact from `input` (throws 400 with every field
   * error). `author` names tags: unknown names become their personal tags; without an author
   * (API keys, public intake) an unknown tag name is a field error. A `source` must be an active
   * lead source of the organization (`source`: 400 `UNKNOWN_LEAD_SOURCE`; docs/adr/0032).
   */
  async stateFromInput(
    manager: EntityManager,
    orgId: string,
    input: CrmContactInput,
    author: TagAuthor | null = null,
    now = new Date(),
  ): Promise<ContactState> {
    const errors: FieldError[] = [];
    const state = emptyState();
    applyInput(state, input, errors, this.config.CRM_DEFAULT_PHONE_REGION, now);
    state.custom_fields = await this.customFields.apply(manager, orgId, {}, input.customFields, true, errors);
    await this.checkReferrer(manager, orgId, input, errors);
    await this.checkCompany(manager, orgId, input, errors);
    await this.applyTags(manager, orgId, state, input, author, errors);
    if (input.source)
      await this.leadSources.check(manager, orgId, [{ key: input.source, field: 'source' }], { archived: 'refuse' }, errors);
    if (errors.length > 0) throw validationFailure(errors);
    derive(state, now);
    return state;
  }

  /**
   * Applies `input` to an existing contact's state (throws 400 with every field error). A new
   * `source` must be an active lead source; the contact's own source stays valid once archived.
   */
  async stateWithInput(
    manager: EntityManager,
    row: ContactRow,
    input: CrmContactInput,
    author: TagAuthor | null = null,
    now = new Date(),
  ): Promise<ContactState> {
    const errors: FieldError[] = [];
    const state = stateOf(row);
    applyInput(state, input, errors, this.config.CRM_DEFAULT_PHONE_REGION, now);
    state.custom_fields = await this.customFields.apply(manager, row.org_id, row.custom_fields, input.customFields, false, errors);
    await this.checkReferrer(manager, row.org_id, input, errors);
    await this.checkCompany(manager, row.org_id, input, errors);
    await this.applyTags(manager, row.org_id, state, input, author, errors);
    if (input.source)
      await this.leadSources.check(
        manager,
        row.org_id,
        [{ key: input.source, field: 'source' }],
        { archived: 'refuse', keep: [row.source] },
        errors,
      );
    if (errors.length > 0) throw validationFailure(errors);
    derive(state, now);
    return state;
  }

  /** `tags` (names) replace the contact's tags, resolved to tag definitions by `ContactTags.resolve`. */
  private async applyTags(
    manager: EntityManager,
    orgId: string,
    state: ContactState,
    input: CrmContactInput,
    author: TagAuthor | null,
    errors: FieldError[],
  ): Promise<void> {
    if (input.tags === undefined) return;
    const resolved = await this.tags.resolve(manager, orgId, author, input.tags, { ids: state.tag_ids, names: state.tags }, errors);
    state.tag_ids = resolved.ids;
    state.tags = resolved.names;
  }

  /** `companyId` must be a live company of the organization (`/v1/companies`). */
  private async checkCompany(manager: EntityManager, orgId: string, input: CrmContactInput, errors: FieldError[]): Promise<void> {
    if (!input.companyId) return;
    const company = isUuid(input.companyId)
      ? await kyselyFor<CrmDb>(manager)
          .selectFrom('company')
          .select('id')
          .where('org_id', '=', orgId)
          .where('id', '=', input.companyId)
          .where('deleted_at', 'is', null)
          .executeTakeFirst()
      : undefined;
    if (!company) errors.push({ field: 'companyId', message: 'is not a company of this organization', code: CrmErrorCode.UnknownCompany });
  }

  /** A referrer with an id must be a live contact (type contact) or a user (type agent) of the organization. */
  private async checkReferrer(manager: EntityManager, orgId: string, input: CrmContactInput, errors: FieldError[]): Promise<void> {
    const referrer = input.referrer;
    if (!referrer?.id || referrer.type === 'partner') return;
    const db = kyselyFor<CrmDb>(manager);
    const found = !isUuid(referrer.id)
      ? undefined
      : referrer.type === 'contact'
        ? await db
            .selectFrom('contact')
            .select('id')
            .where('org_id', '=', orgId)
            .where('id', '=', referrer.id)
            .where('deleted_at', 'is', null)
            .executeTakeFirst()
        : await db
            .selectFrom('org_user')
            .select('user_id')
            .where('org_id', '=', orgId)
            .where('user_id', '=', referrer.id)
            .executeTakeFirst();
    if (!found)
      errors.push({ field: 'referrer.id', message: `is not a ${referrer.type === 'contact' ? 'contact' : 'user'} of this organization` });
  }

  /** Inserts a new contact from `state`: the row, its `contact.created` timeline entry and `crm.contact.created`. Returns the row. */
  async insert(
    unit: UnitOfWorkContext,
    orgId: string,
    state: ContactState,
    extra: { timelineData?: Record<string, unknown> } = {},
  ): Promise<ContactRow> {
    const id = newId();
    const row = await kyselyFor<CrmDb>(unit.manager)
      .insertInto('contact')
      .values({ id, org_id: orgId, created_by: unit.actorId, ...stateValues(state) })
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.timeline.record(unit.manager, {
      orgId,
      contactId: id,
      kind: 'contact.created',
      actorId: unit.actorId,
      data: { source: state.source, ...extra.timelineData },
    });
    await unit.emit(CrmContactEvent.contactCreated, id, orgId, { contact: toContactView(row) });
    return row;
  }

  /**
   * Saves `next` over `row`: writes the changed columns, records status and score changes on the
   * timeline, emits `crm.contact.updated` with the changes (and `crm.contact.score_changed`).
   * Returns the new row (or the old one when nothing changed).
   */
  async save(unit: UnitOfWorkContext, row: ContactRow, next: ContactState, timelineKind = 'contact.updated'): Promise<ContactRow> {
    const before = toContactView(row);
    const changed = STATE_COLUMNS.filter((column) => JSON.stringify(next[column]) !== JSON.stringify(row[column]));
    if (changed.length === 0) return row;
    const updated = await kyselyFor<CrmDb>(unit.manager)
      .updateTable('contact')
      .set({ ...stateValues(next, changed), updated_at: sql<Date>`now()` })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const after = toContactView(updated);
    const changes: CrmFieldChanges = {};
    for (const key of Object.keys(after) as Array<keyof typeof after>) {
      if (key === 'updatedAt' || key === 'scoreReasons') continue;
      if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) changes[key] = { from: before[key], to: after[key] };
    }
    if (Object.keys(changes).length > 0) {
      await unit.emit(CrmContactEvent.contactUpdated, row.id, row.org_id, { contactId: row.id, changes });
      await this.timeline.record(unit.manager, {
        orgId: row.org_id,
        contactId: row.id,
        kind: timelineKind,
        actorId: unit.actorId,
        data: { changes },
      });
      if (changes.status) {
        await this.timeline.record(unit.manager, {
          orgId: row.org_id,
          contactId: row.id,
          kind: 'contact.status_changed',
          actorId: unit.actorId,
          data: changes.status,
        });
      }
      if (changes.score) {
        await unit.emit(CrmContactEvent.contactScoreChanged, row.id, row.org_id, {
          contactId: row.id,
          from: before.score,
          to: after.score,
          reasons: after.scoreReasons,
        });
        await this.timeline.record(unit.manager, {
          orgId: row.org_id,
          contactId: row.id,
          kind: 'contact.score_changed',
          actorId: unit.actorId,
          data: { ...changes.score, reasons: after.scoreReasons },
        });
      }
    }
    return updated;
  }

  /** Re-reads a contact in the transaction. */
  async reload(manager: EntityManager, row: ContactRow): Promise<ContactRow> {
    return (await this.lookup.byId(manager, row.org_id, row.id)) ?? row;
  }
}
