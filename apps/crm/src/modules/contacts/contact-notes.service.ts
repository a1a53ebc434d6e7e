import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Selectable } from 'kysely';
import type { DataSource } from 'typeorm';
import {
  CrmContactEvent,
  CrmContactSubjects as S,
  type CrmContactNoteCreateRequest,
  type CrmContactNoteUpdateRequest,
  type CrmContactNoteView,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { CrmErrorCode } from '../../crm.exception';
import type { CrmDb } from '../../database/crm.db';
import { ContactLookup } from '../contacts-core/contact-lookup.service';
import { TimelineRecorder } from '../contacts-core/timeline-recorder.service';

/** A `contact_note` row (declared by the migrations: `crm.db.ts`). */
export type NoteRow = Selectable<CrmDb['contact_note']>;

export const toNoteView = (row: NoteRow): CrmContactNoteView => ({
  id: row.id,
  contactId: row.contact_id,
  authorId: row.author_id,
  body: row.body,
  pinned: row.pinned,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/** Notes on a contact: create, edit, pin, delete (soft). Reach follows the contact's. Pinned first, then newest. */
@Injectable()
export class ContactNotesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly contacts: ContactLookup,
    private readonly timeline: TimelineRecorder,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** `GET /v1/contacts/:id/notes`: live notes of a contact the caller reads, pinned first, then newest (at most 500). */
  @RpcHandler(S.noteList)
  async list(envelope: RequestEnvelope<{ contactId: string }>): Promise<CrmContactNoteView[]> {
    const contact = await this.contacts.visible(this.dataSource.manager, envelope.actor, 'contacts:read', envelope.data.contactId);
    const rows = await kyselyFor<CrmDb>(this.dataSource)
      .selectFrom('contact_note')
      .selectAll()
      .where('contact_id', '=', contact.id)
      .where('deleted_at', 'is', null)
      .orderBy('pinned', 'desc')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(500)
      .execute();
    return rows.map(toNoteView);
  }

  /** `POST /v1/contacts/:id/notes` (`contacts:write` on the contact): the note, a `note.added` timeline entry and `crm.contact.note_added`. */
  @RpcHandler(S.noteCreate)
  async create(envelope: RequestEnvelope<CrmContactNoteCreateRequest>): Promise<CrmContactNoteView> {
    const actor = envelope.actor!;
    return this.unitOfWork.run(envelope, async (unit) => {
      const { manager } = unit;
      const contact = await this.contacts.visible(manager, actor, 'contacts:write', envelope.data.contactId);
      const row = await kyselyFor<CrmDb>(manager)
        .insertInto('contact_note')
        .values({
          id: newId(),
          org_id: actor.orgId,
          contact_id: contact.id,
          author_id: actor.userId ?? null,
          body: envelope.data.body,
          pinned: envelope.data.pinned ?? false,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.timeline.record(manager, {
        orgId: actor.orgId,
        contactId: contact.id,
        kind: 'note.added',
        actorId: actor.userId ?? null,
        data: { noteId: row.id },
      });
      await unit.emit(CrmContactEvent.contactNoteAdded, contact.id, actor.orgId, {
        contactId: contact.id,
        noteId: row.id,
        pinned: row.pinned,
      });
      return toNoteView(row);
    });
  }

  /** `PATCH /v1/contacts/:id/notes/:noteId`: a new body and/or pin (404 `NOTE_NOT_FOUND`); emits `crm.contact.note_updated`. */
  @RpcHandler(S.noteUpdate)
  async update(envelope: RequestEnvelope<CrmContactNoteUpdateRequest>): Promise<CrmContactNoteView> {
    const actor = envelope.actor!;
    const data = envelope.data;
    return this.unitOfWork.run(envelope, async (unit) => {
      const { manager } = unit;
      const contact = await this.contacts.visible(manager, actor, 'contacts:write', data.contactId);
      const row = await kyselyFor<CrmDb>(manager)
        .updateTable('contact_note')
        .set({
          body: sql<string>`coalesce(${data.body ?? null}, body)`,
          pinned: sql<boolean>`coalesce(${data.pinned ?? null}, pinned)`,
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', data.noteId)
        .where('contact_id', '=', contact.id)
        .where('deleted_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw DomainException.notFound(CrmErrorCode.NoteNotFound, 'Note');
      await unit.emit(CrmContactEvent.contactNoteUpdated, contact.id, actor.orgId, {
        contactId: contact.id,
        noteId: row.id,
        pinned: row.pinned,
        bodyChanged: data.body !== undefined,
      });
      return toNoteView(row);
    });
  }

  /** `DELETE /v1/contacts/:id/notes/:noteId`: soft delete (404 `NOTE_NOT_FOUND`); emits `crm.contact.note_deleted`. */
  @RpcHandler(S.noteDelete)
  async delete(envelope: RequestEnvelope<{ contactId: string; noteId: string }>): Promise<void> {
    const actor = envelope.actor!;
    await this.unitOfWork.run(envelope, async (unit) => {
      const { manager } = unit;
      const contact = await this.contacts.visible(manager, actor, 'contacts:write', envelope.data.contactId);
      const rows = await kyselyFor<CrmDb>(manager)
        .updateTable('contact_note')
        .set({ deleted_at: sql<Date>`now()` })
        .where('id', '=', envelope.data.noteId)
        .where('contact_id', '=', contact.id)
        .where('deleted_at', 'is', null)
        .returning('id')
        .execute();
      if (!rows[0]) throw DomainException.notFound(CrmErrorCode.NoteNotFound, 'Note');
      await unit.emit(CrmContactEvent.contactNoteDeleted, contact.id, actor.orgId, {
        contactId: contact.id,
        noteId: envelope.data.noteId,
      });
    });
  }
}
