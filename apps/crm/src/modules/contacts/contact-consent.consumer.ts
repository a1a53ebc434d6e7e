import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import {
  NotificationsEvent,
  type CloudEvent,
  type CrmConsentChannel,
  type NotificationEmailSuppressedData,
  type NotificationSmsOptedInData,
  type NotificationSmsOptedOutData,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { isUuid } from '@keyhouse/util';
import type { CrmDb } from '../../database/crm.db';
import { stateOf } from '../contacts-core/contact-state.util';
import { ContactWriter } from '../contacts-core/contact-writer.service';

/** Consumer group over `notifications.events` (also its inbox consumer name: never change it). */
export const CRM_CONSENT_GROUP = 'crm.consent';

/** Organization of provider events the notifications service could not file under one (the nil UUID): matched to no contact. */
const UNKNOWN_ORG = '00000000-0000-0000-0000-000000000000';

/** Timeline kind of a consent change that came from the email / SMS provider. */
export const CONSENT_TIMELINE_KIND = 'contact.consent_changed';

/**
 * The contact's consent from the providers' side (issue 14, docs/adr/0035 "Contacts"), consumer
 * group `crm.consent` over `notifications.events`, each event applied once through the inbox. The
 * events name an address or a number, not a contact: the live contacts of the event's organization
 * having it among their `emails` / `phones` are updated (none for the nil organization):
 * - `notifications.email.suppressed` (bounce, spam report, unsubscribe, group unsubscribe) →
 *   `consent.email` withdrawn, source `sendgrid_<reason>`;
 * - `notifications.sms.opted_out` (STOP-like keyword, or Twilio 21610) → `consent.sms` withdrawn,
 *   source `sms_<keyword>` (`sms_stop`) or `sms_send_error`;
 * - `notifications.sms.opted_in` (START, UNSTOP) → `consent.sms` granted, source `sms_<keyword>`.
 * The decision's time is the event's. Saved through `ContactWriter.save` (so `crm.contact.updated`
 * carries the `consent` change, which the notifications read model follows) with a
 * `contact.consent_changed` timeline entry and no acting user. A contact already in that state is
 * left as it is (a second bounce of a dead address changes nothing).
 */
@Injectable()
export class ContactConsentConsumer {
  constructor(private readonly writer: ContactWriter) {}

  /** `notifications.email.suppressed` → email consent withdrawn. */
  @OnEvent(NotificationsEvent.emailSuppressed, { group: CRM_CONSENT_GROUP })
  async onEmailSuppressed(event: CloudEvent<NotificationEmailSuppressedData>, unit: UnitOfWorkContext): Promise<void> {
    const email = typeof event.data?.email === 'string' ? event.data.email.trim().toLowerCase() : '';
    await this.apply(unit, event, 'email', email, false, `sendgrid_${event.data?.reason ?? 'suppression'}`);
  }

  /** `notifications.sms.opted_out` → SMS consent withdrawn. */
  @OnEvent(NotificationsEvent.smsOptedOut, { group: CRM_CONSENT_GROUP })
  async onSmsOptedOut(event: CloudEvent<NotificationSmsOptedOutData>, unit: UnitOfWorkContext): Promise<void> {
    const source = event.data?.keyword ? `sms_${event.data.keyword.toLowerCase()}` : 'sms_send_error';
    await this.apply(unit, event, 'sms', event.data?.phone ?? '', false, source);
  }

  /** `notifications.sms.opted_in` → SMS consent granted again (the person texted START / UNSTOP). */
  @OnEvent(NotificationsEvent.smsOptedIn, { group: CRM_CONSENT_GROUP })
  async onSmsOptedIn(event: CloudEvent<NotificationSmsOptedInData>, unit: UnitOfWorkContext): Promise<void> {
    await this.apply(unit, event, 'sms', event.data?.phone ?? '', true, `sms_${(event.data?.keyword ?? 'start').toLowerCase()}`);
  }

  /** Sets `channel`'s consent of the organization's live contacts with `address` to `granted`. */
  private async apply(
    unit: UnitOfWorkContext,
    event: CloudEvent<unknown>,
    channel: CrmConsentChannel,
    address: string,
    granted: boolean,
    source: string,
  ): Promise<void> {
    if (!address || !isUuid(event.orgid) || event.orgid === UNKNOWN_ORG) return;
    const parsed = new Date(event.time);
    const at = (Number.isNaN(parsed.getTime()) ? new Date() : parsed).toISOString();
    const column = channel === 'email' ? 'emails' : 'phones';
    const rows = await kyselyFor<CrmDb>(unit.manager)
      .selectFrom('contact')
      .selectAll()
      .where('org_id', '=', event.orgid)
      .where('deleted_at', 'is', null)
      .where(sql<boolean>`${sql.ref(column)} @> ARRAY[${address}]::text[]`)
      .orderBy('id')
      .forUpdate()
      .execute();
    const system: UnitOfWorkContext = { ...unit, actorId: null };
    for (const row of rows) {
      const state = stateOf(row);
      if (state.consent[channel]?.granted === granted) continue;
      state.consent = { ...state.consent, [channel]: { granted, source, at } };
      await this.writer.save(system, row, state, CONSENT_TIMELINE_KIND);
    }
  }
}
