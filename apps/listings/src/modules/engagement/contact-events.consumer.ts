import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  CRM_EVENTS_TOPIC,
  CrmContactEvent,
  IDENTITY_EVENTS_TOPIC,
  IdentityEvent,
  type CloudEvent,
  type CrmContactMergedData,
  type UserCreatedData,
} from '@keyhouse/contracts';
import { createKafka, EventConsumer, Inbox } from '@keyhouse/platform/messaging';
import { LISTINGS_CONFIG, type ListingsConfig } from '../../config/listings.config';

const CONSUMER = 'listings.contacts';

/**
 * What listings keeps about crm contacts follows the contacts (docs/adr/0019), from one consumer
 * group over `identity.events` and `crm.events`, each event applied once through the inbox:
 * - `identity.user.created` of a self-registered client (`role: client` with `contactId`) fills
 *   `client_contact`, the read model of which contact a client user is (client visibility and the
 *   client's own-contact checks read it, so a portal request never waits on crm);
 * - `crm.contact.merged` moves views, interest, shares, saved searches and their matches, and
 *   the client link of the merged contact to the survivor (the survivor's own interest and
 *   matches win where both have one);
 * - `crm.contact.erased` (privacy erasure) deletes the contact's views, interest, shares, saved
 *   searches, matches and client link.
 */
@Injectable()
export class ContactEventsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ContactEventsConsumer.name);
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
      groupId: `${prefix}${this.config.LISTINGS_CONTACTS_CONSUMER_GROUP}`,
      topics: [`${prefix}${IDENTITY_EVENTS_TOPIC}`, `${prefix}${CRM_EVENTS_TOPIC}`],
      handle: (event) => this.handle(event),
    });
    // Not awaited: the service answers RPCs while the consumer joins its group.
    this.starting = this.consumer.start().catch((error: Error) => this.logger.error(`Contact events consumer failed to start: ${error.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    // Let a group join in progress finish (at most 10 s) so stopping does not race it.
    await Promise.race([this.starting, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    await this.consumer?.stop();
  }

  async handle(event: CloudEvent): Promise<void> {
    const apply = this.handlerOf(event);
    if (apply) await this.inbox.processOnce(CONSUMER, event, apply);
  }

  private handlerOf(event: CloudEvent): ((manager: EntityManager) => Promise<void>) | null {
    const orgId = event.orgid;
    switch (event.type) {
      case IdentityEvent.userCreated.type: {
        const data = event.data as UserCreatedData;
        if (data.role !== 'client' || !data.contactId) return null;
        return async (manager) => {
          await manager.query(
            `INSERT INTO client_contact (user_id, org_id, contact_id) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE SET contact_id = excluded.contact_id`,
            [data.userId, orgId, data.contactId],
          );
        };
      }
      case CrmContactEvent.contactMerged.type: {
        const data = event.data as CrmContactMergedData;
        return (manager) => this.merge(manager, orgId, data.mergedId, data.contactId);
      }
      case CrmContactEvent.contactErased.type: {
        const data = event.data as { contactId: string };
        return (manager) => this.erase(manager, orgId, data.contactId);
      }
      default:
        return null;
    }
  }

  private async merge(manager: EntityManager, orgId: string, from: string, to: string): Promise<void> {
    const args = [orgId, from, to];
    for (const table of ['contact_listing', 'property_share', 'saved_search_match']) {
      const columns = TABLE_COLUMNS[table];
      await manager.query(
        `INSERT INTO ${table} (org_id, contact_id, ${columns}) SELECT org_id, $3, ${columns} FROM ${table} WHERE org_id = $1 AND contact_id = $2
         ON CONFLICT DO NOTHING`,
        args,
      );
      await manager.query(`DELETE FROM ${table} WHERE org_id = $1 AND contact_id = $2`, [orgId, from]);
    }
    await manager.query(`UPDATE saved_search SET contact_id = $3 WHERE org_id = $1 AND contact_id = $2`, args);
    await manager.query(`UPDATE property_view SET contact_id = $3 WHERE org_id = $1 AND contact_id = $2`, args);
    await manager.query(`UPDATE client_contact SET contact_id = $3 WHERE org_id = $1 AND contact_id = $2`, args);
  }

  private async erase(manager: EntityManager, orgId: string, contactId: string): Promise<void> {
    const args = [orgId, contactId];
    await manager.query(`DELETE FROM saved_search_match WHERE org_id = $1 AND contact_id = $2`, args);
    await manager.query(`DELETE FROM saved_search WHERE org_id = $1 AND contact_id = $2`, args);
    for (const table of ['contact_listing', 'property_share', 'property_view', 'client_contact']) {
      await manager.query(`DELETE FROM ${table} WHERE org_id = $1 AND contact_id = $2`, args);
    }
  }
}

/** Columns besides (org_id, contact_id) copied when a merged contact's rows move to the survivor. */
const TABLE_COLUMNS: Record<string, string> = {
  contact_listing: 'property_id, preference, note, updated_at',
  property_share: 'property_id, shared_by, shared_at',
  saved_search_match: 'property_id, saved_search_id, matched_at',
};
