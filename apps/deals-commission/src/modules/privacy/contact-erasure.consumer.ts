import { Injectable, Logger } from '@nestjs/common';
import { CrmContactEvent, DealsEvent, type CloudEvent, type CloudEventOf, type DealsContactErasedData } from '@keyhouse/contracts';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { isUuid } from '@keyhouse/util';
import { anonymiseActivityData, anonymiseParticipants, ERASED_CONTACT_NAME } from './contact-anonymisation';
import { lockContacts } from './erased-contacts';

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
    // Writes naming this contact wait for the erasure, or the erasure waits for them (erased-contacts.ts).
    await lockContacts(manager, orgId, [contactId], 'exclusive');
    await manager.query(
      `INSERT INTO erased_contact (org_id, contact_id, erasure_event_id) VALUES ($1, $2, $3) ON CONFLICT (org_id, contact_id) DO NOTHING`,
      [orgId, contactId, event.id],
    );
    const linked = JSON.stringify([{ contactId }]);
    const deals = (await manager.query(
      `SELECT id, participants FROM deal_transaction WHERE org_id = $1 AND participants @> $2::jsonb ORDER BY id FOR UPDATE`,
      [orgId, linked],
    )) as Array<{ id: string; participants: unknown }>;
    const transactionIds: string[] = [];
    for (const deal of deals) {
      const { participants, changed } = anonymiseParticipants(deal.participants, contactId);
      if (!changed) continue;
      await manager.query(`UPDATE deal_transaction SET participants = $2::jsonb, updated_at = now() WHERE id = $1`, [
        deal.id,
        JSON.stringify(participants),
      ]);
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
    await unit.emit(DealsEvent.contactErased, contactId, orgId, summary);
    return summary;
  }
}
