import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';
import {
  CrmContactEvent,
  CrmContactSubjects as S,
  type CrmAssignmentRecord,
  type CrmContactDataExport,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { kyselyFor } from '@keyhouse/platform/database';
import { RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import type { CrmDb } from '../../database/crm.db';
import { ContactLookup } from '../contacts-core/contact-lookup.service';
import { toContactView, type ContactRow } from '../contacts-core/contact.row';
import { emptyState, stateValues } from '../contacts-core/contact-state.util';
import { toNoteView } from './contact-notes.service';
import { CONTACT_PERSONAL_COLUMNS, ERASED_VALUES } from './contact-privacy.constant';

const iso = (value: Date | null) => (value ? value.toISOString() : null);

/** A contact and every contact merged into it, directly or through a chain (the same person): their ids. */
function samePerson(id: string) {
  return sql<
    Pick<ContactRow, 'id'>
  >`WITH RECURSIVE person(id) AS (SELECT ${id}::uuid UNION SELECT c.id FROM contact c JOIN person p ON c.merged_into_id = p.id)
    SELECT id FROM person`;
}

/**
 * Privacy requests (GDPR art. 15 and 17, CCPA): the export of everything the crm service holds
 * about a person, and the erasure of their personal data with the history kept anonymised.
 */
@Injectable()
export class ContactPrivacyService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly lookup: ContactLookup,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** `GET /v1/contacts/:id/data-export` (`contacts:export`, within the caller's scope). */
  @RpcHandler(S.dataExport)
  async export(envelope: RequestEnvelope<{ id: string }>): Promise<CrmContactDataExport> {
    const row = await this.lookup.visible(this.dataSource.manager, envelope.actor, 'contacts:export', envelope.data.id);
    const db = kyselyFor<CrmDb>(this.dataSource);
    const { rows: merged } =
      await sql<ContactRow>`SELECT c.* FROM contact c JOIN (${samePerson(row.id)}) p ON p.id = c.id WHERE c.id <> ${row.id}`.execute(db);
    const [notes, timeline, submissions, leadEvents, assignments] = await Promise.all([
      db
        .selectFrom('contact_note')
        .selectAll()
        .where('contact_id', '=', row.id)
        .where('deleted_at', 'is', null)
        .orderBy('created_at')
        .execute(),
      db.selectFrom('timeline_entry').selectAll().where('contact_id', '=', row.id).orderBy('occurred_at').orderBy('id').execute(),
      db.selectFrom('form_submission').selectAll().where('contact_id', '=', row.id).orderBy('received_at').execute(),
      db.selectFrom('lead_event').selectAll().where('contact_id', '=', row.id).orderBy('occurred_at').execute(),
      db.selectFrom('contact_assignment').selectAll().where('contact_id', '=', row.id).orderBy('assigned_at').execute(),
    ]);
    return {
      exportedAt: new Date().toISOString(),
      contact: toContactView(row),
      mergedContacts: merged.map(toContactView),
      notes: notes.map(toNoteView),
      timeline: timeline.map((t) => ({
        id: t.id,
        contactId: t.contact_id,
        kind: t.kind,
        occurredAt: t.occurred_at.toISOString(),
        actorId: t.actor_id,
        data: t.data,
      })),
      formSubmissions: submissions.map((s) => ({
        id: s.id,
        formType: s.form_type,
        answers: s.answers,
        utm: s.utm,
        source: s.source,
        consent: s.consent,
        receivedAt: s.received_at.toISOString(),
      })),
      leadEvents: leadEvents.map((e) => ({
        id: e.id,
        source: e.source,
        externalId: e.external_id,
        type: e.type,
        payload: e.payload,
        occurredAt: e.occurred_at.toISOString(),
      })),
      assignments: assignments.map((a) => ({
        id: a.id,
        agentId: a.agent_id,
        pondId: a.pond_id,
        ruleId: a.rule_id,
        strategy: a.strategy as CrmAssignmentRecord['strategy'],
        reason: a.reason,
        assignedBy: a.assigned_by,
        assignedAt: a.assigned_at.toISOString(),
        endedAt: iso(a.ended_at),
        endReason: a.end_reason,
      })),
    };
  }

  /**
   * `POST /v1/contacts/:id/erase` (`contacts:erase`, admins): the contact's `personal` columns
   * (`CONTACT_PRIVACY`: names, emails, phones, address, preferences, custom fields, consent,
   * referrer, tags, score reasons and the search columns) are emptied, and so are note bodies, form
   * answers, UTM and consent, lead-event payloads and timeline details (`ERASED_VALUES`); the rows,
   * their times, kinds and assignments stay (anonymised history), open assignments are ended.
   * Contacts merged into this one (the same person) are erased too. The contact is deleted and
   * `crm.contact.erased` (one per erased contact) tells other services to erase theirs.
   */
  @RpcHandler(S.erase)
  async erase(envelope: RequestEnvelope<{ id: string }>): Promise<void> {
    const actor = envelope.actor!;
    requireScope(actor, 'contacts:erase', 'org');
    await this.unitOfWork.run(envelope, async (unit) => {
      const row = await this.lookup.visible(unit.manager, actor, 'contacts:erase', envelope.data.id, true);
      const ids = await this.erasePerson(unit.manager, row.id);
      for (const id of ids) {
        await unit.emit(CrmContactEvent.contactErased, id, actor.orgId, {
          contactId: id,
          ...(id === row.id ? {} : { mergedIntoId: row.id }),
        });
      }
    });
  }

  /** Erases the contact `id` and every contact merged into it in the caller's transaction; returns their ids (`id` first). */
  private async erasePerson(manager: EntityManager, id: string): Promise<string[]> {
    const db = kyselyFor<CrmDb>(manager);
    const ids = (await samePerson(id).execute(db)).rows.map((person) => person.id);
    const ofPerson = sql<string>`any(${ids}::uuid[])`;
    await db
      .updateTable('contact')
      .set({
        ...stateValues(emptyState(), CONTACT_PERSONAL_COLUMNS),
        erased_at: sql<Date>`now()`,
        deleted_at: sql<Date>`coalesce(deleted_at, now())`,
        updated_at: sql<Date>`now()`,
        // Out of its pond, as a deleted contact.
        pond_id: null,
      })
      .where('id', '=', ofPerson)
      .execute();
    await db.updateTable('contact_note').set(ERASED_VALUES.contact_note).where('contact_id', '=', ofPerson).execute();
    await db.updateTable('form_submission').set(ERASED_VALUES.form_submission).where('contact_id', '=', ofPerson).execute();
    await db.updateTable('lead_event').set(ERASED_VALUES.lead_event).where('contact_id', '=', ofPerson).execute();
    await db.updateTable('timeline_entry').set(ERASED_VALUES.timeline_entry).where('contact_id', '=', ofPerson).execute();
    await db
      .updateTable('contact_assignment')
      .set({ ended_at: sql<Date>`coalesce(ended_at, now())`, end_reason: sql<string>`coalesce(end_reason, 'erased')` })
      .where('contact_id', '=', ofPerson)
      .execute();
    return ids;
  }
}
