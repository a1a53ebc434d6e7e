import { Injectable } from '@nestjs/common';
import type { CloudEvent } from '@keyhouse/contracts';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { isUuid } from '@keyhouse/util';
import { ContactLookup } from '../contacts-core/contact-lookup.service';
import { derive, stateOf } from '../contacts-core/contact-state.util';
import { ContactWriter } from '../contacts-core/contact-writer.service';
import { TimelineRecorder } from '../contacts-core/timeline-recorder.service';
import {
  DEAL_ACTIVITY_EVENTS,
  dealActivityEntries,
  LISTINGS_ACTIVITY_EVENTS,
  listingsActivityEntries,
  TASK_ACTIVITY_EVENTS,
  taskActivityEntries,
  type ActivityEntry,
} from './activity-entries.util';

/**
 * Activity from other services (and crm's own task events) on the contact timeline, one consumer
 * group per feed (its lag and failures are its own), each event applied once through the inbox:
 * - `crm.activity` over `listings.events`: property views, favourites/rejections, saved searches,
 *   matches and shares about a contact;
 * - `crm.deal-activity` over `deals.events`: deal created, contacts linked to a deal, stage moves,
 *   closing, deletion, offers, on every buyer/seller contact of the deal;
 * - `crm.task-activity` over `crm.events`: tasks created and completed for a contact (the work
 *   module emits them through the outbox; this keeps the timeline out of its transactions).
 * Each group takes only the types its feed maps (`*_ACTIVITY_EVENTS`). Entries carry the event's
 * type as kind and its time. Engagement signals (views, reactions, saved searches, a buyer's
 * offer) also count in the lead score and its recency, so the score is re-computed and
 * `crm.contact.score_changed` emitted when it moves. Events about unknown, deleted, erased or
 * other organizations' contacts are ignored.
 */
@Injectable()
export class ActivityConsumer {
  constructor(
    private readonly lookup: ContactLookup,
    private readonly writer: ContactWriter,
    private readonly timeline: TimelineRecorder,
  ) {}

  /** `listings.events` (group `crm.activity`). */
  @OnEvent<unknown>(LISTINGS_ACTIVITY_EVENTS, { group: 'crm.activity' })
  async onListingsActivity(event: CloudEvent<unknown>, unit: UnitOfWorkContext): Promise<void> {
    await this.apply(event, listingsActivityEntries(event), unit);
  }

  /** `deals.events` (group `crm.deal-activity`). */
  @OnEvent<unknown>(DEAL_ACTIVITY_EVENTS, { group: 'crm.deal-activity' })
  async onDealActivity(event: CloudEvent<unknown>, unit: UnitOfWorkContext): Promise<void> {
    await this.apply(event, dealActivityEntries(event), unit);
  }

  /** `crm.events` task events (group `crm.task-activity`). */
  @OnEvent<unknown>(TASK_ACTIVITY_EVENTS, { group: 'crm.task-activity' })
  async onTaskActivity(event: CloudEvent<unknown>, unit: UnitOfWorkContext): Promise<void> {
    await this.apply(event, taskActivityEntries(event), unit);
  }

  /**
   * Writes `entries` of one event on the live contacts of the event's organization, and re-scores
   * the engaged ones. The activity entries name the event's actor; the re-score's own timeline
   * entries (`contact.engagement`, `contact.score_changed`) have none (the score is derived).
   */
  private async apply(event: CloudEvent<unknown>, entries: ActivityEntry[], unit: UnitOfWorkContext): Promise<void> {
    if (entries.length === 0 || !isUuid(event.orgid)) return;
    const parsed = new Date(event.time);
    const occurredAt = Number.isNaN(parsed.getTime()) ? new Date() : parsed;
    const system: UnitOfWorkContext = { ...unit, actorId: null };
    for (const entry of entries) {
      const row = await this.lookup.byId(unit.manager, event.orgid, entry.contactId, true);
      if (!row) continue;
      await this.timeline.record(unit.manager, {
        orgId: row.org_id,
        contactId: row.id,
        kind: entry.kind,
        actorId: event.actorid ?? null,
        occurredAt,
        data: entry.data,
      });
      if (!entry.engages) continue;
      const next = stateOf(row);
      next.engagement_count += 1;
      if (!next.last_activity_at || occurredAt > next.last_activity_at) next.last_activity_at = occurredAt;
      derive(next);
      await this.writer.save(system, row, next, 'contact.engagement');
    }
  }
}
