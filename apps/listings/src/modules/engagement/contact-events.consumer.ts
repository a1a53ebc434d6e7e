import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { IDENTITY_EVENTS_TOPIC, IdentityEventTypes, type CloudEvent, type UserCreatedData } from '@keyhouse/contracts';
import { createKafka, EventConsumer, Inbox } from '@keyhouse/platform/messaging';
import { LISTINGS_CONFIG, type ListingsConfig } from '../../config/listings.config';

const CONSUMER = 'listings.client-contacts';

/**
 * The `client_contact` read model: which crm contact each client user is, from
 * `identity.user.created` of a self-registered client (`role: client` with `contactId`). Client
 * visibility (`PropertyAccess.readCondition`) and the client's own-contact checks read it, so a
 * portal request never waits on crm. Applied once per event through the inbox; a replay upserts
 * the same row.
 */
@Injectable()
export class ClientContactConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ClientContactConsumer.name);
  private consumer: EventConsumer | null = null;
  private starting: Promise<void> | null = null;
  private readonly inbox: Inbox;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LISTINGS_CONFIG) private readonly config: ListingsConfig,
  ) {
    this.inbox = new Inbox(dataSource, config.LISTINGS_DATABASE_SCHEMA);
  }

  async onApplicationBootstrap(): Promise<void> {
    const prefix = this.config.KAFKA_TOPIC_PREFIX;
    const kafka = createKafka({ clientId: 'listings', brokers: this.config.KAFKA_BROKERS, topicPrefix: prefix });
    this.consumer = new EventConsumer(kafka, {
      groupId: `${prefix}${this.config.LISTINGS_IDENTITY_CONSUMER_GROUP}`,
      topics: [`${prefix}${IDENTITY_EVENTS_TOPIC}`],
      handle: (event) => this.handle(event),
    });
    // Not awaited: the service answers RPCs while the consumer joins its group.
    this.starting = this.consumer.start().catch((error: Error) => this.logger.error(`Identity consumer failed to start: ${error.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    // Let a group join in progress finish (at most 10 s) so stopping does not race it.
    await Promise.race([this.starting, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    await this.consumer?.stop();
  }

  async handle(event: CloudEvent): Promise<void> {
    if (event.type !== IdentityEventTypes.userCreated) return;
    const data = event.data as UserCreatedData;
    if (data.role !== 'client' || !data.contactId) return;
    await this.inbox.processOnce(CONSUMER, event, async (manager) => {
      await manager.query(
        `INSERT INTO client_contact (user_id, org_id, contact_id) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET contact_id = excluded.contact_id`,
        [data.userId, event.orgid, data.contactId],
      );
    });
  }
}
