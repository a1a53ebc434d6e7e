import { Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { NotificationsEvent } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import type { UnitOfWorkContext } from '@keyhouse/platform/messaging';
import type { NotificationsDb } from '../../database/notifications.db';

/** Organization of events about a number no delivery or recipient of ours links to (the nil UUID). */
export const UNKNOWN_ORG = '00000000-0000-0000-0000-000000000000';

/** One opt-out to record: the person's `phone`, our `sender` (both E.164) and why. */
export interface SmsOptOut {
  phone: string;
  sender: string;
  source: 'keyword' | 'send_error';
  keyword: string | null;
  messageSid: string | null;
  deliveryId: string | null;
  /** Organization of the event; when omitted, `orgOfNumber`. */
  orgId?: string;
}

/**
 * The SMS opt-out ledger (`sms_opt_out`), keyed by the number pair as Twilio keeps it (the
 * person's number, our sender), independent of organizations: one Twilio number serves every
 * organization, and Twilio refuses (21610) every send from it to an opted-out number.
 */
@Injectable()
export class SmsOptOutService {
  /** True when `phone` opted out of SMS from `sender`. */
  async isOptedOut(db: Kysely<NotificationsDb>, phone: string, sender: string): Promise<boolean> {
    const row = await db
      .selectFrom('sms_opt_out')
      .select('phone')
      .where('phone', '=', phone)
      .where('sender', '=', sender)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Records the opt-out in `unit` (`ON CONFLICT DO NOTHING`) and, when it is new, emits
   * `notifications.sms.opted_out`. Returns true when it was new.
   */
  async optOut(unit: UnitOfWorkContext, optOut: SmsOptOut): Promise<boolean> {
    const db = kyselyFor<NotificationsDb>(unit.manager);
    const inserted = await db
      .insertInto('sms_opt_out')
      .values({
        phone: optOut.phone,
        sender: optOut.sender,
        source: optOut.source,
        keyword: optOut.keyword,
        message_sid: optOut.messageSid,
      })
      .onConflict((conflict) => conflict.columns(['phone', 'sender']).doNothing())
      .returning('phone')
      .executeTakeFirst();
    if (!inserted) return false;
    const orgId = optOut.orgId ?? (await this.orgOfNumber(db, optOut.phone));
    await unit.emit(NotificationsEvent.smsOptedOut, optOut.phone, orgId, {
      phone: optOut.phone,
      sender: optOut.sender,
      source: optOut.source,
      keyword: optOut.keyword,
      messageSid: optOut.messageSid,
      deliveryId: optOut.deliveryId,
    });
    return true;
  }

  /** Removes the opt-out of `phone` from `sender`; emits `notifications.sms.opted_in` when there was one. */
  async optIn(unit: UnitOfWorkContext, phone: string, sender: string, keyword: string, messageSid: string): Promise<boolean> {
    const db = kyselyFor<NotificationsDb>(unit.manager);
    const deleted = await db
      .deleteFrom('sms_opt_out')
      .where('phone', '=', phone)
      .where('sender', '=', sender)
      .returning('phone')
      .executeTakeFirst();
    if (!deleted) return false;
    await unit.emit(NotificationsEvent.smsOptedIn, phone, await this.orgOfNumber(db, phone), { phone, sender, keyword, messageSid });
    return true;
  }

  /**
   * Organization an event about `phone` is filed under: the one of the latest SMS delivery to it,
   * else of the crm contact with that phone changed last (the contacts read model), else of a
   * recipient (user) with that phone, else `UNKNOWN_ORG`. One organization only: a number known to
   * several organizations' contacts updates the consent in the one chosen.
   */
  async orgOfNumber(db: Kysely<NotificationsDb>, phone: string): Promise<string> {
    const delivery = await db
      .selectFrom('delivery')
      .select('org_id')
      .where('channel', '=', 'sms')
      .where('to_address', '=', phone)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (delivery) return delivery.org_id;
    // A crm contact with that number (a STOP before we ever texted them), so crm records the consent.
    const contact = await db
      .selectFrom('contact_recipient')
      .select('org_id')
      .where('phone', '=', phone)
      .where('deleted_at', 'is', null)
      .orderBy('updated_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (contact) return contact.org_id;
    const recipient = await db.selectFrom('recipient').select('org_id').where('phone', '=', phone).limit(1).executeTakeFirst();
    return recipient?.org_id ?? UNKNOWN_ORG;
  }
}
