import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CrmContactEvent, type CrmContactInput, type CrmFieldChanges, type FieldError } from '@keyhouse/contracts';
import { queryRows } from '@keyhouse/platform/database';
import { DomainException, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { isUuid, newId } from '@keyhouse/util';
import { CRM_CONFIG, type CrmConfig } from '../../config/crm.config';
import { CrmErrorCode } from '../../crm.exception';
import { toContactView, type ContactRow } from './contact.row';
import { applyInput, columnParam, derive, emptyState, STATE_COLUMNS, stateOf, type ContactState } from './contact-state';
import { CustomFieldsService } from './custom-fields.service';
import { ContactLookup } from './contact-lookup.service';
import { ContactTags, type TagAuthor } from './contact-tags.service';
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
  ) {}

  /**
   * Builds and validates the state of a new contact from `input` (throws 400 with every field
   * error). `author` names tags: unknown names become their personal tags; without an author
   * (API keys, public intake) an unknown tag name is a field error.
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
    if (errors.length > 0) throw DomainException.validation(errors);
    derive(state, now);
    return state;
  }

  /** Applies `input` to an existing contact's state (throws 400 with every field error). */
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
    if (errors.length > 0) throw DomainException.validation(errors);
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
    const rows = isUuid(input.companyId)
      ? ((await manager.query(`SELECT 1 FROM company WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL`, [
          orgId,
          input.companyId,
        ])) as unknown[])
      : [];
    if (rows.length === 0)
      errors.push({ field: 'companyId', message: 'is not a company of this organization', code: CrmErrorCode.UnknownCompany });
  }

  /** A referrer with an id must be a live contact (type contact) or a user (type agent) of the organization. */
  private async checkReferrer(manager: EntityManager, orgId: string, input: CrmContactInput, errors: FieldError[]): Promise<void> {
    const referrer = input.referrer;
    if (!referrer?.id || referrer.type === 'partner') return;
    const sql =
      referrer.type === 'contact'
        ? `SELECT 1 FROM contact WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL`
        : `SELECT 1 FROM org_user WHERE org_id = $1 AND user_id = $2`;
    const rows = isUuid(referrer.id) ? ((await manager.query(sql, [orgId, referrer.id])) as unknown[]) : [];
    if (rows.length === 0)
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
    const columns = ['id', 'org_id', 'created_by', ...STATE_COLUMNS];
    const params = [id, orgId, unit.actorId, ...STATE_COLUMNS.map((column) => columnParam(column, state[column]))];
    const [row] = (await unit.manager.query(
      `INSERT INTO contact (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`,
      params,
    )) as ContactRow[];
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
    const changed = STATE_COLUMNS.filter(
      (column) => JSON.stringify(next[column]) !== JSON.stringify((row as unknown as Record<string, unknown>)[column]),
    );
    if (changed.length === 0) return row;
    const params: unknown[] = [row.id, ...changed.map((column) => columnParam(column, next[column]))];
    const [updated] = await queryRows<ContactRow>(
      unit.manager,
      `UPDATE contact SET ${changed.map((column, i) => `${column} = $${i + 2}`).join(', ')}, updated_at = now() WHERE id = $1 RETURNING *`,
      params,
    );
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
