import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import { CrmContactEvent } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { CrmErrorCode } from '../../crm.exception';
import type { CrmDb } from '../../database/crm.db';
import type { ContactRow } from '../contacts-core/contact.row';
import { derive, mergeStates, stateOf } from '../contacts-core/contact-state.util';
import { ContactWriter } from '../contacts-core/contact-writer.service';
import { TimelineRecorder } from '../contacts-core/timeline-recorder.service';
import { TasksService } from '../work/tasks/tasks.service';

/** Tables of the contacts, intake, assignment and timeline modules whose rows follow a contact merged into another (`contact_id` column). */
const FOLLOWING_TABLES = ['contact_note', 'timeline_entry', 'form_submission', 'lead_event', 'contact_assignment'] as const;

/**
 * Contact merge (docs/adr/0008): one person's two contacts become one, in the caller's unit of
 * work. The work module's tasks move through its own `TasksService.moveToContact`.
 */
@Injectable()
export class ContactMerge {
  constructor(
    private readonly writer: ContactWriter,
    private readonly timeline: TimelineRecorder,
    private readonly tasks: TasksService,
  ) {}

  /**
   * Merges `other` into `survivor` by the stated rule (see `mergeStates`): the survivor's state is
   * saved, notes, timeline, submissions, lead events, assignment history and tasks move over,
   * `other` is soft-deleted with `merged_into_id`; records `contact.merged` and emits
   * `crm.contact.merged` (after the survivor's `crm.contact.updated` when its fields changed).
   * Returns the survivor's new row. 400 `MERGE_SELF` when both are the same contact. The caller
   * locks both rows first.
   */
  async merge(unit: UnitOfWorkContext, survivor: ContactRow, other: ContactRow): Promise<ContactRow> {
    if (survivor.id === other.id)
      throw new DomainException('validation', CrmErrorCode.MergeSelf, 'A contact cannot be merged into itself', [
        { field: 'sourceId', message: 'is the same contact' },
      ]);
    const next = mergeStates(stateOf(survivor), stateOf(other));
    derive(next);
    const db = kyselyFor<CrmDb>(unit.manager);
    await db
      .updateTable('contact_assignment')
      .set({ ended_at: sql<Date>`now()`, end_reason: 'merged' })
      .where('contact_id', '=', other.id)
      .where('ended_at', 'is', null)
      .execute();
    for (const table of FOLLOWING_TABLES) {
      await db.updateTable(table).set({ contact_id: survivor.id }).where('contact_id', '=', other.id).execute();
    }
    await this.tasks.moveToContact(unit.manager, survivor.org_id, other.id, survivor.id);
    await db
      .updateTable('contact')
      .set({ merged_into_id: survivor.id, deleted_at: sql<Date>`now()`, updated_at: sql<Date>`now()`, pond_id: null })
      .where('id', '=', other.id)
      .execute();
    const saved = await this.writer.save(unit, survivor, next);
    await this.timeline.record(unit.manager, {
      orgId: survivor.org_id,
      contactId: survivor.id,
      kind: 'contact.merged',
      actorId: unit.actorId,
      data: { mergedId: other.id, mergedName: [other.first_name, other.last_name].filter(Boolean).join(' ') },
    });
    await unit.emit(CrmContactEvent.contactMerged, survivor.id, survivor.org_id, { contactId: survivor.id, mergedId: other.id });
    return saved;
  }
}
