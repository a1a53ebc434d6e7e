import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { LISTINGS_EVENTS_TOPIC, ListingsEventTypes, type CloudEvent } from '@keyhouse/contracts';
import { createKafka, EventConsumer, Inbox } from '@keyhouse/platform/messaging';
import { isUuid } from '@keyhouse/util';
import { CRM_CONFIG, type CrmConfig } from '../../config/crm.config';
import { ContactLookup } from '../contacts/contact-lookup.service';
import { derive, stateOf } from '../contacts/contact-state';
import { ContactWriter } from '../contacts/contact-writer.service';
import { CrmEvents, type WriteContext } from '../shared/crm-events.service';
import { TimelineService } from './timeline.service';

const CONSUMER = 'crm.activity';

/** Listings events about a contact that appear on the contact's timeline; `engages` ones also count for the score. */
const LISTINGS_ACTIVITY: Record<string, { engages: boolean }> = {
  [ListingsEventTypes.propertyViewed]: { engages: true },
  [ListingsEventTypes.contactListingChanged]: { engages: true },
  [ListingsEventTypes.savedSearchCreated]: { engages: true },
  [ListingsEventTypes.savedSearchDeleted]: { engages: false },
  [ListingsEventTypes.searchMatched]: { engages: false },
  [ListingsEventTypes.propertyShared]: { engages: false },
  [ListingsEventTypes.propertyUnshared]: { engages: false },
};

/**
 * Activity from other services on the contact timeline (consumer group `crm.activity`, through the
 * inbox): listings' property views, favourites/rejections, saved searches, matches and shares
 * about a contact of the same organization become timeline entries (kind = the event type,
 * time = the event's time). Engagement signals (views, reactions, saved searches) also count in
 * the lead score and its recency, so the score is re-computed and `crm.contact.score_changed`
 * emitted when it moves. Events about unknown or deleted contacts are ignored.
 */
@Injectable()
export class ActivityConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ActivityConsumer.name);
  private consumer: EventConsumer | null = null;
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
    this.consumer = new EventConsumer(kafka, {
      groupId: `${prefix}${CONSUMER}`,
      topics: [`${prefix}${LISTINGS_EVENTS_TOPIC}`],
      handle: (event) => this.handle(event),
    });
    void this.consumer.start().catch((error: Error) => this.logger.error(`Activity consumer failed to start: ${error.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  async handle(event: CloudEvent): Promise<void> {
    const kind = LISTINGS_ACTIVITY[event.type];
    const contactId = (event.data as { contactId?: unknown } | null)?.contactId;
    if (!kind || !isUuid(contactId) || !isUuid(event.orgid)) return;
    const applied = await this.inbox.processOnce(CONSUMER, event, async (manager) => {
      const row = await this.lookup.byId(manager, event.orgid, contactId, true);
      if (!row) return;
      const occurredAt = new Date(event.time);
      await this.timeline.record(manager, {
        orgId: row.org_id,
        contactId: row.id,
        kind: event.type,
        actorId: event.actorid ?? null,
        occurredAt: Number.isNaN(occurredAt.getTime()) ? new Date() : occurredAt,
        data: event.data as Record<string, unknown>,
      });
      if (!kind.engages) return;
      const next = stateOf(row);
      next.engagement_count += 1;
      if (!next.last_activity_at || occurredAt > next.last_activity_at) next.last_activity_at = occurredAt;
      derive(next);
      const wc: WriteContext = {
        manager,
        event: { actor: { type: 'system', orgId: row.org_id, role: 'system', teamIds: [], permissions: [] }, requestId: `event:${event.id}` },
        actorId: null,
        afterCommit: [],
      };
      await this.writer.save(wc, row, next, 'contact.engagement');
    });
    if (applied) this.events.flush();
  }
}
