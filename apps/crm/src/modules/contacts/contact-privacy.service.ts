import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CrmContactEvent, CrmContactSubjects as S, type CrmContactDataExport, type RequestEnvelope } from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { ContactLookup } from '../contacts-core/contact-lookup.service';
import { toContactView, type ContactRow } from '../contacts-core/contact.row';

const iso = (value: Date | null) => (value ? value.toISOString() : null);

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
    const q = <T>(sql: string) => this.dataSource.query(sql, [row.id]) as Promise<T[]>;
    const merged = (await this.dataSource.query(
      `WITH RECURSIVE person(id) AS (SELECT $1::uuid UNION SELECT c.id FROM contact c JOIN person p ON c.merged_into_id = p.id)
       SELECT c.* FROM contact c JOIN person p ON p.id = c.id WHERE c.id <> $1`,
      [row.id],
    )) as ContactRow[];
    const [notes, timeline, submissions, leadEvents, assignments] = await Promise.all([
      q<Record<string, never>>(`SELECT * FROM contact_note WHERE contact_id = $1 AND deleted_at IS NULL ORDER BY created_at`),
      q<Record<string, never>>(`SELECT * FROM timeline_entry WHERE contact_id = $1 ORDER BY occurred_at, id`),
      q<Record<string, never>>(`SELECT * FROM form_submission WHERE contact_id = $1 ORDER BY received_at`),
      q<Record<string, never>>(`SELECT * FROM lead_event WHERE contact_id = $1 ORDER BY occurred_at`),
      q<Record<string, never>>(`SELECT * FROM contact_assignment WHERE contact_id = $1 ORDER BY assigned_at`),
    ]);
    return {
      exportedAt: new Date().toISOString(),
      contact: toContactView(row),
      mergedContacts: merged.map(toContactView),
      notes: notes.map((n) => ({
        id: n.id,
        contactId: n.contact_id,
        authorId: n.author_id,
        body: n.body,
        pinned: n.pinned,
        createdAt: iso(n.created_at)!,
        updatedAt: iso(n.updated_at)!,
      })),
      timeline: timeline.map((t) => ({
        id: t.id,
        contactId: t.contact_id,
        kind: t.kind,
        occurredAt: iso(t.occurred_at)!,
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
        receivedAt: iso(s.received_at)!,
      })),
      leadEvents: leadEvents.map((e) => ({
        id: e.id,
        source: e.source,
        externalId: e.external_id,
        type: e.type,
        payload: e.payload,
        occurredAt: iso(e.occurred_at)!,
      })),
      assignments: assignments.map((a) => ({
        id: a.id,
        agentId: a.agent_id,
        pondId: a.pond_id,
        ruleId: a.rule_id,
        strategy: a.strategy,
        reason: a.reason,
        assignedBy: a.assigned_by,
        assignedAt: iso(a.assigned_at)!,
        endedAt: iso(a.ended_at),
        endReason: a.end_reason,
      })),
    };
  }

  /**
   * `POST /v1/contacts/:id/erase` (`contacts:erase`, admins): names, emails, phones, address,
   * preferences, custom fields, consent, referrer, note bodies, form answers and lead-event
   * payloads are erased; the rows, their times, kinds and assignments stay (anonymised history).
   * Contacts merged into this one (the same person) are erased too. The contact is deleted and
   * `crm.contact.erased` (one per erased contact) tells other services to erase theirs.
   */
  @RpcHandler(S.erase)
  async erase(envelope: RequestEnvelope<{ id: string }>): Promise<void> {
    const actor = envelope.actor!;
    requireScope(actor, 'contacts:erase', 'org');
    await this.unitOfWork.run(envelope, async (unit) => {
      const { manager } = unit;
      const row = await this.lookup.visible(manager, actor, 'contacts:erase', envelope.data.id, true);
      // The person is also in every contact merged into this one (directly or through a chain).
      const ids = (
        (await manager.query(
          `WITH RECURSIVE person(id) AS (SELECT $1::uuid UNION SELECT c.id FROM contact c JOIN person p ON c.merged_into_id = p.id)
         SELECT id FROM person`,
          [row.id],
        )) as Array<{ id: string }>
      ).map((r) => r.id);
      await manager.query(
        `UPDATE contact SET first_name = NULL, last_name = NULL, full_name = '', emails = '{}', phones = '{}', phone_suffixes = '{}', search_text = '',
                referrer = NULL, preferences = '{}', street = NULL, city = NULL, state = NULL, postal_code = NULL, consent = '{}',
                custom_fields = '{}', tags = '{}', tag_ids = '{}', score_reasons = '[]', erased_at = now(), deleted_at = coalesce(deleted_at, now()), updated_at = now(),
                pond_id = NULL
          WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      await manager.query(`UPDATE contact_note SET body = '[erased]' WHERE contact_id = ANY($1::uuid[])`, [ids]);
      await manager.query(`UPDATE form_submission SET answers = '{}', utm = '{}', consent = '{}' WHERE contact_id = ANY($1::uuid[])`, [
        ids,
      ]);
      await manager.query(`UPDATE lead_event SET payload = '{}' WHERE contact_id = ANY($1::uuid[])`, [ids]);
      await manager.query(`UPDATE timeline_entry SET data = '{"erased": true}' WHERE contact_id = ANY($1::uuid[])`, [ids]);
      await manager.query(
        `UPDATE contact_assignment SET ended_at = coalesce(ended_at, now()), end_reason = coalesce(end_reason, 'erased') WHERE contact_id = ANY($1::uuid[])`,
        [ids],
      );
      for (const id of ids) {
        await unit.emit(CrmContactEvent.contactErased, id, actor.orgId, {
          contactId: id,
          ...(id === row.id ? {} : { mergedIntoId: row.id }),
        });
      }
    });
  }
}
