import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { kyselyFor } from '@keyhouse/platform/database';
import { newId } from '@keyhouse/util';
import type { CrmDb } from '../../database/crm.db';

/** One entry of a contact's timeline, as written by `TimelineRecorder.record`. */
export interface TimelineEntryInput {
  orgId: string;
  contactId: string;
  /** What happened: `contact.created`, `contact.assigned`, `lead.event`, an event type of another service... */
  kind: string;
  /** The acting user; null for the system and for intake. */
  actorId: string | null;
  /** Kind-specific details, stored as JSON (default `{}`). */
  data?: Record<string, unknown>;
  /** When it happened (default now). */
  occurredAt?: Date;
}

/**
 * Writes timeline entries (`timeline_entry`) in the caller's transaction, so an entry exists
 * exactly when the change it describes commits. Every crm module that changes a contact records
 * through this; reading the timeline is the timeline module's (`TimelineService`).
 */
@Injectable()
export class TimelineRecorder {
  /** Inserts one entry through `manager` (the unit of work's). */
  async record(manager: EntityManager, entry: TimelineEntryInput): Promise<void> {
    await kyselyFor<CrmDb>(manager)
      .insertInto('timeline_entry')
      .values({
        id: newId(),
        org_id: entry.orgId,
        contact_id: entry.contactId,
        kind: entry.kind,
        occurred_at: entry.occurredAt ?? new Date(),
        actor_id: entry.actorId,
        data: JSON.stringify(entry.data ?? {}),
      })
      .execute();
  }
}
