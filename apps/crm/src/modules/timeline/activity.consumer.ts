import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CRM_EVENTS_TOPIC, DEALS_EVENTS_TOPIC, LISTINGS_EVENTS_TOPIC, type CloudEvent } from '@keyhouse/contracts';
import { createKafka, EventConsumer, Inbox } from '@keyhouse/platform/messaging';
import { isUuid } from '@keyhouse/util';
import { CRM_CONFIG, type CrmConfig } from '../../config/crm.config';
import { ContactLookup } from '../contacts/contact-lookup.service';
import { derive, stateOf } from '../contacts/contact-state';
import { ContactWriter } from '../contacts/contact-writer.service';
import { CrmEvents, type WriteContext } from '../shared/crm-events.service';
import { dealActivityEntries, listingsActivityEntries, taskActivityEntries, type ActivityEntry } from './activity-entries.util';
import { TimelineService } from './timeline.service';

/** One topic whose events become timeline entries, read by its own consumer group (its lag and failures are its own). */
interface ActivityFeed {
  /** Consumer group (without `KAFKA_TOPIC_PREFIX`), also the inbox's consumer name. */
  group: string;
  topic: string;
  entries: (event: CloudEvent) => ActivityEntry[];
}

/** The feeds, by consumer group (docs/architecture.md, the event catalogue). */
export const ACTIVITY_FEEDS: readonly ActivityFeed[] = [
  { group: 'crm.activity', topic: LISTINGS_EVENTS_TOPIC, entries: listingsActivityEntries },
  { group: 'crm.deal-activity', topic: DEALS_EVENTS_TOPIC, entries: dealActivityEntries },
  { group: 'crm.task-activity', topic: CRM_EVENTS_TOPIC, entries: taskActivityEntries },
];

/**
 * Activity from other services (and crm's own task events) on the contact timeline, one consumer
 * group per feed, each event applied once through the inbox:
 * - `crm.activity` over `listings.events`: property views, favourites/rejections, saved searches,
 *   matches and shares about a contact;
 * - `crm.deal-activity` over `deals.events`: deal created, contacts linked to a deal, stage moves,
 *   closing, deletion, offers, on every buyer/seller contact of the deal;
 * - `crm.task-activity` over `crm.events`: tasks created and completed for a contact (the work
 *   module emits them through the outbox; this keeps the timeline out of its transactions).
 * Entries carry the event's type as kind and its time. Engagement signals (views, reactions,
 * saved searches, a buyer's offer) also count in the lead score and its recency, so
 * the score is re-computed and `crm.contact.score_changed` emitted when it moves. Events about
 * unknown, deleted, erased or other organizations' contacts are ignored.
 */
@Injectable()
export class ActivityConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ActivityConsumer.name);
  private readonly consumers: EventConsumer[] = [];
  private starting: Promise<unknown> | null = null;
  private readonly inbox: Inbox;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CRM_CONFIG) private readonly config: CrmConfig,
    private readonly lookup: ContactLookup,
    private readonly writer: ContactWriter,
    private readonly timeline: TimelineService,
    private readonly events: CrmEvents,
  ) {
    this.inbox = new Inbox(dataSource, config.CRM_DATABASE_SCHEMA);
  }

  async onApplicationBootstrap(): Promise<void> {
    const prefix = this.config.KAFKA_TOPIC_PREFIX;
    const kafka = createKafka({ clientId: 'crm-activity', brokers: this.config.KAFKA_BROKERS, topicPrefix: prefix });
    const starts = ACTIVITY_FEEDS.map((feed) => {
      const consumer = new EventConsumer(kafka, {
        groupId: `${prefix}${feed.group}`,
        topics: [`${prefix}${feed.topic}`],
        handle: (event) => this.handle(feed, event),
      });
      this.consumers.push(consumer);
      return consumer.start().catch((error: Error) => this.logger.error(`Activity consumer ${feed.group} failed to start: ${error.message}`));
    });
    // Not awaited: the service answers RPCs while the consumers join their groups.
    this.starting = Promise.all(starts);
  }

  async onApplicationShutdown(): Promise<void> {
    // Let group joins in progress finish (at most 10 s) so stopping does not race them.
    await Promise.race([this.starting, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    await Promise.all(this.consumers.map((consumer) => consumer.stop()));
  }

  /** Applies one event of a feed (exposed for tests): its entries, once per event id. */
  async handle(feed: ActivityFeed, event: CloudEvent): Promise<void> {
    const entries = feed.entries(event);
    if (entries.length === 0 || !isUuid(event.orgid)) return;
    const applied = await this.inbox.processOnce(feed.group, event, async (manager) => {
      const parsed = new Date(event.time);
      const occurredAt = Number.isNaN(parsed.getTime()) ? new Date() : parsed;
      const wc: WriteContext = {
        manager,
        event: { actor: { type: 'system', orgId: event.orgid, role: 'system', teamIds: [], permissions: [] }, requestId: `event:${event.id}` },
        actorId: null,
        afterCommit: [],
      };
      for (const entry of entries) {
        const row = await this.lookup.byId(manager, event.orgid, entry.contactId, true);
        if (!row) continue;
        await this.timeline.record(manager, { orgId: row.org_id, contactId: row.id, kind: entry.kind, actorId: event.actorid ?? null, occurredAt, data: entry.data });
        if (!entry.engages) continue;
        const next = stateOf(row);
        next.engagement_count += 1;
        if (!next.last_activity_at || occurredAt > next.last_activity_at) next.last_activity_at = occurredAt;
        derive(next);
        await this.writer.save(wc, row, next, 'contact.engagement');
      }
    });
    if (applied) this.events.flush();
  }
}
