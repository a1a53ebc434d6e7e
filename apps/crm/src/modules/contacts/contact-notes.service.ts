import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  CrmContactEvent,
  CrmContactSubjects as S,
  type CrmContactNoteCreateRequest,
  type CrmContactNoteUpdateRequest,
  type CrmContactNoteView,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { queryRows } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { CrmErrorCode } from '../../crm.exception';
import { ContactLookup } from '../contacts-core/contact-lookup.service';
import { TimelineRecorder } from '../contacts-core/timeline-recorder.service';

interface NoteRow {
  id: string;
  contact_id: string;
  author_id: string | null;
  body: string;
  pinned: boolean;
  created_at: Date;
  updated_at: Date;
}

const toView = (row: NoteRow): CrmContactNoteView => ({
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
    const rows = (await this.dataSource.query(
      `SELECT * FROM contact_note WHERE contact_id = $1 AND deleted_at IS NULL ORDER BY pinned DESC, created_at DESC, id DESC LIMIT 500`,
      [contact.id],
    )) as NoteRow[];
    return rows.map(toView);
  }

  /** `POST /v1/contacts/:id/notes` (`contacts:write` on the contact): the note, a `note.added` timeline entry and `crm.contact.note_added`. */
  @RpcHandler(S.noteCreate)
  async create(envelope: RequestEnvelope<CrmContactNoteCreateRequest>): Promise<CrmContactNoteView> {
    const actor = envelope.actor!;
    return this.unitOfWork.run(envelope, async (unit) => {
      const { manager } = unit;
      const contact = await this.contacts.visible(manager, actor, 'contacts:write', envelope.data.contactId);
      const [row] = (await manager.query(
        `INSERT INTO contact_note (id, org_id, contact_id, author_id, body, pinned) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [newId(), actor.orgId, contact.id, actor.userId ?? null, envelope.data.body, envelope.data.pinned ?? false],
      )) as NoteRow[];
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
      return toView(row);
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
      const [row] = await queryRows<NoteRow>(
        manager,
        `UPDATE contact_note SET body = coalesce($3, body), pinned = coalesce($4, pinned), updated_at = now()
          WHERE id = $1 AND contact_id = $2 AND deleted_at IS NULL RETURNING *`,
        [data.noteId, contact.id, data.body ?? null, data.pinned ?? null],
      );
      if (!row) throw DomainException.notFound(CrmErrorCode.NoteNotFound, 'Note');
      await unit.emit(CrmContactEvent.contactNoteUpdated, contact.id, actor.orgId, {
        contactId: contact.id,
        noteId: row.id,
        pinned: row.pinned,
        bodyChanged: data.body !== undefined,
      });
      return toView(row);
    });
  }

  /** `DELETE /v1/contacts/:id/notes/:noteId`: soft delete (404 `NOTE_NOT_FOUND`); emits `crm.contact.note_deleted`. */
  @RpcHandler(S.noteDelete)
  async delete(envelope: RequestEnvelope<{ contactId: string; noteId: string }>): Promise<void> {
    const actor = envelope.actor!;
    await this.unitOfWork.run(envelope, async (unit) => {
      const { manager } = unit;
      const contact = await this.contacts.visible(manager, actor, 'contacts:write', envelope.data.contactId);
      const rows = await queryRows<{ id: string }>(
        manager,
        `UPDATE contact_note SET deleted_at = now() WHERE id = $1 AND contact_id = $2 AND deleted_at IS NULL RETURNING id`,
        [envelope.data.noteId, contact.id],
      );
      if (!rows[0]) throw DomainException.notFound(CrmErrorCode.NoteNotFound, 'Note');
      await unit.emit(CrmContactEvent.contactNoteDeleted, contact.id, actor.orgId, {
        contactId: contact.id,
        noteId: envelope.data.noteId,
      });
    });
  }
}
