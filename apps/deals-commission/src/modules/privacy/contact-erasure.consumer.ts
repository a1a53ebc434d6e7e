import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { CRM_EVENTS_TOPIC, CrmContactEvent, DealsEvent, type CloudEvent, type DealsContactErasedData } from '@keyhouse/contracts';
import { createKafka, EventConsumer, eventContextOf, Inbox } from '@keyhouse/platform/messaging';
import { isUuid } from '@keyhouse/util';
import { DEALS_COMMISSION_CONFIG, type DealsCommissionConfig } from '../../config/deals-commission.config';
import { DealsEvents } from '../deals-events.service';
import { anonymiseActivityData, anonymiseParticipants, ERASED_CONTACT_NAME } from './contact-anonymisation';
import { lockContacts } from './erased-contacts';

/** Consumer group over `crm.events` (without `KAFKA_TOPIC_PREFIX`), also the inbox's consumer name. */
export const DEALS_CONTACT_ERASURE_CONSUMER = 'deals.contact-erasure';

/**
 * Erasure across services (issue 3, privacy): `crm.contact.erased` → what the deals schema holds
 * about that contact in that organization is anonymised in one transaction, applied once per
 * event through the inbox (group and inbox consumer `deals.contact-erasure`):
 * - transaction participants linked to the contact (`participants[].contactId`, deleted deals
 *   too): `name` → `Erased contact`, `company`, `email`, `phone` → null;
 * - the copies of those participants in the transaction timeline (`updated` entries'
 *   `changes.participants.from/to`);
 * - offers with the contact as buyer (`offer.buyer_contact_id`): `buyer_name` → `Erased contact`;
 * - invoices billed to the contact (`bill_to.contactId`): `name` → `Erased contact`, `company`
 *   and `email` → null.
 * The contact is recorded in `erased_contact`: later writes naming it (a stale participants list
 * sent back, a new offer or invoice for it) are stored anonymised the same way.
 * Contact ids stay as opaque ids (in `buyer_contact_ids`, `seller_contact_ids`, participants and
 * offers), so history, stage moves, amounts, invoices' totals and commission statements are
 * unchanged (no timeline entry is added: the transaction timeline's kinds are a closed list in
 * the API contract). One `deals.contact.erased` event (ids and counts, no personal data) records
 * the erasure, also when nothing named the contact; its actor is the crm erasure's (the admin).
 *
 * Not reachable from here: free text that may name the person (deal `notes`, participants
 * entered by name without `contactId`, file names and contents), and events already published.
 */
@Injectable()
export class DealsContactErasureConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DealsContactErasureConsumer.name);
  private consumer: EventConsumer | null = null;
  private starting: Promise<void> | null = null;
  private readonly inbox: Inbox;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(DEALS_COMMISSION_CONFIG) private readonly config: DealsCommissionConfig,
    private readonly events: DealsEvents,
  ) {
    this.inbox = new Inbox(dataSource, config.DEALS_COMMISSION_DATABASE_SCHEMA);
  }

  async onApplicationBootstrap(): Promise<void> {
    const prefix = this.config.KAFKA_TOPIC_PREFIX;
    const kafka = createKafka({ clientId: 'deals-contact-erasure', brokers: this.config.KAFKA_BROKERS, topicPrefix: prefix });
    this.consumer = new EventConsumer(kafka, {
      groupId: `${prefix}${DEALS_CONTACT_ERASURE_CONSUMER}`,
      topics: [`${prefix}${CRM_EVENTS_TOPIC}`],
      handle: async (event) => {
        await this.handle(event);
      },
    });
    // Not awaited: the service answers RPCs while the consumer joins its group.
    this.starting = this.consumer.start().catch((error: Error) => this.logger.error(`Contact erasure consumer failed to start: ${error.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    // Let a group join in progress finish (at most 10 s) so stopping does not race it.
    await Promise.race([this.starting, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    await this.consumer?.stop();
  }

  /** Applies one `crm.events` event; every type but `crm.contact.erased` is skipped without an inbox row. Returns whether it was applied now. */
  async handle(event: CloudEvent): Promise<boolean> {
    if (event.type !== CrmContactEvent.contactErased.type) return false;
    const contactId = (event.data as { contactId?: unknown } | null)?.contactId;
    if (!isUuid(contactId) || !isUuid(event.orgid)) return false;
    let summary: DealsContactErasedData | null = null;
    const applied = await this.inbox.processOnce(DEALS_CONTACT_ERASURE_CONSUMER, event, async (manager) => {
      summary = await this.erase(manager, event, event.orgid!, contactId);
    });
    if (!applied) return false;
    this.events.flush();
    const done = summary as DealsContactErasedData | null;
    if (done)
      this.logger.log(
        `Erased contact ${contactId} (event ${event.id}): ${done.transactionIds.length} transactions, ${done.offerIds.length} offers, ${done.invoiceIds.length} invoices, ${done.activityEntries} timeline entries`,
      );
    return true;
  }

  private async erase(manager: EntityManager, event: CloudEvent, orgId: string, contactId: string): Promise<DealsContactErasedData> {
    // Writes naming this contact wait for the erasure, or the erasure waits for them (erased-contacts.ts).
    await lockContacts(manager, orgId, [contactId], 'exclusive');
    await manager.query(`INSERT INTO erased_contact (org_id, contact_id, erasure_event_id) VALUES ($1, $2, $3) ON CONFLICT (org_id, contact_id) DO NOTHING`, [
      orgId,
      contactId,
      event.id,
    ]);
    const linked = JSON.stringify([{ contactId }]);
    const deals = (await manager.query(`SELECT id, participants FROM deal_transaction WHERE org_id = $1 AND participants @> $2::jsonb ORDER BY id FOR UPDATE`, [
      orgId,
      linked,
    ])) as Array<{ id: string; participants: unknown }>;
    const transactionIds: string[] = [];
    for (const deal of deals) {
      const { participants, changed } = anonymiseParticipants(deal.participants, contactId);
      if (!changed) continue;
      await manager.query(`UPDATE deal_transaction SET participants = $2::jsonb, updated_at = now() WHERE id = $1`, [deal.id, JSON.stringify(participants)]);
      transactionIds.push(deal.id);
    }

    // Timeline copies: also of deals the contact has since been removed from.
    const activities = (await manager.query(
      `SELECT a.id, a.transaction_id, a.data FROM transaction_activity a
        WHERE a.org_id = $1 AND a.kind = 'updated'
          AND (a.data @> jsonb_build_object('changes', jsonb_build_object('participants', jsonb_build_object('from', $2::jsonb)))
            OR a.data @> jsonb_build_object('changes', jsonb_build_object('participants', jsonb_build_object('to', $2::jsonb))))
        ORDER BY a.id FOR UPDATE`,
      [orgId, linked],
    )) as Array<{ id: string; transaction_id: string; data: unknown }>;
    let activityEntries = 0;
    const touched = new Set(transactionIds);
    for (const activity of activities) {
      const { data, changed } = anonymiseActivityData(activity.data, contactId);
      if (!changed) continue;
      await manager.query(`UPDATE transaction_activity SET data = $2::jsonb WHERE id = $1`, [activity.id, JSON.stringify(data)]);
      activityEntries += 1;
      touched.add(activity.transaction_id);
    }

    const offers = (await manager.query(
      `UPDATE offer SET buyer_name = $3, updated_at = now()
        WHERE org_id = $1 AND buyer_contact_id = $2 AND buyer_name IS DISTINCT FROM $3 RETURNING id, transaction_id`,
      [orgId, contactId, ERASED_CONTACT_NAME],
    )) as [Array<{ id: string; transaction_id: string }>, number];
    const offerRows = offers[0];
    for (const offer of offerRows) touched.add(offer.transaction_id);

    const invoices = (await manager.query(
      `UPDATE invoice SET bill_to = bill_to || jsonb_build_object('name', $3::text, 'company', null, 'email', null), updated_at = now()
        WHERE org_id = $1 AND bill_to @> jsonb_build_object('contactId', $2::text)
          AND (bill_to->>'name' IS DISTINCT FROM $3 OR bill_to->>'company' IS NOT NULL OR bill_to->>'email' IS NOT NULL)
        RETURNING id`,
      [orgId, contactId, ERASED_CONTACT_NAME],
    )) as [Array<{ id: string }>, number];
    const invoiceRows = invoices[0];

    const summary: DealsContactErasedData = {
      contactId,
      erasureEventId: event.id,
      transactionIds: [...touched].sort(),
      offerIds: offerRows.map((row) => row.id).sort(),
      invoiceIds: invoiceRows.map((row) => row.id).sort(),
      activityEntries,
    };
    await this.events.emitInContext(manager, eventContextOf(event), DealsEvent.contactErased.type, contactId, orgId, summary);
    return summary;
  }
}
