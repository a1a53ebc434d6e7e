import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { newId } from '@keyhouse/util';

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
    await manager.query(
      `INSERT INTO timeline_entry (id, org_id, contact_id, kind, occurred_at, actor_id, data) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [newId(), entry.orgId, entry.contactId, entry.kind, entry.occurredAt ?? new Date(), entry.actorId, JSON.stringify(entry.data ?? {})],
    );
  }
}
