import { Injectable, Logger } from '@nestjs/common';
import { sql, type RawBuilder } from 'kysely';
import {
  CrmContactEvent,
  DealsEvent,
  type CloudEvent,
  type CloudEventOf,
  type DealsContactErasedData,
  type InvoiceBillTo,
  type TransactionParticipant,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { isUuid } from '@keyhouse/util';
import type { DealsCommissionDb } from '../../database/deals-commission.db';
import type { TransactionActivityData } from '../../database/deals-commission-json.type';
import { anonymiseActivityData, anonymiseParticipants, ERASED_CONTACT_NAME } from './contact-anonymisation.util';
import { lockContacts } from './erased-contacts.util';

/** Consumer group of `crm.contact.erased` on `crm.events` (without `KAFKA_TOPIC_PREFIX`), also the inbox's consumer name. */
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
 * - the client-portal link (`client_contact`): client users of the contact see nothing in the
 *   portal any more (identity erases and signs out the user itself).
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
export class DealsContactErasureConsumer {
  private readonly logger = new Logger(DealsContactErasureConsumer.name);

  /**
   * Applies one `crm.contact.erased` in the registry's unit of work (inbox row, anonymisation and
   * `deals.contact.erased` in one transaction); an event without a UUID `contactId` or organization
   * changes nothing.
   */
  @OnEvent(CrmContactEvent.contactErased, { group: DEALS_CONTACT_ERASURE_CONSUMER })
  async onContactErased(event: CloudEventOf<typeof CrmContactEvent.contactErased>, unit: UnitOfWorkContext): Promise<void> {
    const contactId = (event.data as { contactId?: unknown } | null)?.contactId;
    const orgId = event.orgid;
    if (!isUuid(contactId) || !isUuid(orgId)) return;
    const summary = await this.erase(unit, event, orgId, contactId);
    unit.afterCommit(() =>
      this.logger.log(
        `Erased contact ${contactId} (event ${event.id}): ${summary.transactionIds.length} transactions, ${summary.offerIds.length} offers, ${summary.invoiceIds.length} invoices, ${summary.activityEntries} timeline entries`,
      ),
    );
  }

  private async erase(unit: UnitOfWorkContext, event: CloudEvent, orgId: string, contactId: string): Promise<DealsContactErasedData> {
    const manager = unit.manager;
    const db = kyselyFor<DealsCommissionDb>(manager);
    // Writes naming this contact wait for the erasure, or the erasure waits for them (erased-contacts.ts).
    await lockContacts(manager, orgId, [contactId], 'exclusive');
    await db
      .insertInto('erased_contact')
      .values({ org_id: orgId, contact_id: contactId, erasure_event_id: event.id })
      .onConflict((conflict) => conflict.columns(['org_id', 'contact_id']).doNothing())
      .execute();
    const linked = JSON.stringify([{ contactId }]);
    // jsonb containment patterns (`[{ contactId }]`), typed as the columns they are compared with.
    const participantsLinked = sql<TransactionParticipant[]>`${linked}::jsonb`;
    const deals = await db
      .selectFrom('deal_transaction')
      .select(['id', 'participants'])
      .where('org_id', '=', orgId)
      .where('participants', '@>', participantsLinked)
      .orderBy('id')
      .forUpdate()
      .execute();
    const transactionIds: string[] = [];
    for (const deal of deals) {
      const { participants, changed } = anonymiseParticipants(deal.participants, contactId);
      if (!changed) continue;
      await db
        .updateTable('deal_transaction')
        .set({ participants: sql<string>`${JSON.stringify(participants)}::jsonb`, updated_at: sql<Date>`now()` })
        .where('id', '=', deal.id)
        .execute();
      transactionIds.push(deal.id);
    }

    // Timeline copies: also of deals the contact has since been removed from.
    const changedParticipants = (side: 'from' | 'to'): RawBuilder<TransactionActivityData> =>
      sql`jsonb_build_object('changes', jsonb_build_object('participants', jsonb_build_object(${sql.lit(side)}, ${linked}::jsonb)))`;
    const activities = await db
      .selectFrom('transaction_activity as a')
      .select(['a.id', 'a.transaction_id', 'a.data'])
      .where('a.org_id', '=', orgId)
      .where('a.kind', '=', 'updated')
      .where((eb) => eb.or([eb('a.data', '@>', changedParticipants('from')), eb('a.data', '@>', changedParticipants('to'))]))
      .orderBy('a.id')
      .forUpdate()
      .execute();
    let activityEntries = 0;
    const touched = new Set(transactionIds);
    for (const activity of activities) {
      const { data, changed } = anonymiseActivityData(activity.data, contactId);
      if (!changed) continue;
      await db
        .updateTable('transaction_activity')
        .set({ data: sql<string>`${JSON.stringify(data)}::jsonb` })
        .where('id', '=', activity.id)
        .execute();
      activityEntries += 1;
      touched.add(activity.transaction_id);
    }

    const offerRows = await db
      .updateTable('offer')
      .set({ buyer_name: ERASED_CONTACT_NAME, updated_at: sql<Date>`now()` })
      .where('org_id', '=', orgId)
      .where('buyer_contact_id', '=', contactId)
      .where('buyer_name', 'is distinct from', ERASED_CONTACT_NAME)
      .returning(['id', 'transaction_id'])
      .execute();
    for (const offer of offerRows) touched.add(offer.transaction_id);

    const invoiceRows = await db
      .updateTable('invoice')
      .set({
        bill_to: sql<string>`bill_to || jsonb_build_object('name', ${ERASED_CONTACT_NAME}::text, 'company', null, 'email', null)`,
        updated_at: sql<Date>`now()`,
      })
      .where('org_id', '=', orgId)
      .where('bill_to', '@>', sql<InvoiceBillTo>`jsonb_build_object('contactId', ${contactId}::text)`)
      .where((eb) =>
        eb.or([
          eb(eb.ref('bill_to', '->>').key('name'), 'is distinct from', ERASED_CONTACT_NAME),
          eb(eb.ref('bill_to', '->>').key('company'), 'is not', null),
          eb(eb.ref('bill_to', '->>').key('email'), 'is not', null),
        ]),
      )
      .returning('id')
      .execute();

    await db.deleteFrom('client_contact').where('org_id', '=', orgId).where('contact_id', '=', contactId).execute();

    const summary: DealsContactErasedData = {
      contactId,
      erasureEventId: event.id,
      transactionIds: [...touched].sort(),
      offerIds: offerRows.map((row) => row.id).sort(),
      invoiceIds: invoiceRows.map((row) => row.id).sort(),
      activityEntries,
    };
    await unit.emit(DealsEvent.contactErased, contactId, orgId, summary);
    return summary;
  }
}
