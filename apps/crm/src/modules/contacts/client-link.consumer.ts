import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import { IdentityEvent, type CloudEvent, type UserContactLinkedData } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { isUuid } from '@keyhouse/util';
import type { CrmDb } from '../../database/crm.db';
import { TimelineRecorder } from '../contacts-core/timeline-recorder.service';

/** Consumer group linking verified client users to their contacts (also its inbox consumer name: never change it). */
export const CLIENT_LINK_GROUP = 'crm.client-link';

/**
 * Links a self-registered client user to the existing contact they registered as, once identity
 * says the address is proven (`identity.user.contact_linked`, consumer group `crm.client-link`):
 * sets `contact.client_user_id` (the client then sees that contact, see `contactVisibleTo`) and
 * records `client.registered` on its timeline. A contact already linked to another user, deleted
 * or of another organization is left alone. Applied once per event through the inbox.
 */
@Injectable()
export class ClientLinkConsumer {
  constructor(private readonly timeline: TimelineRecorder) {}

  /** Applies one `identity.user.contact_linked` in the event's unit of work. */
  @OnEvent(IdentityEvent.userContactLinked, { group: CLIENT_LINK_GROUP })
  async onContactLinked(event: CloudEvent<UserContactLinkedData>, unit: UnitOfWorkContext): Promise<void> {
    const { userId, contactId } = event.data ?? ({} as Partial<UserContactLinkedData>);
    if (!isUuid(userId) || !isUuid(contactId) || !isUuid(event.orgid)) return;
    const linked = await kyselyFor<CrmDb>(unit.manager)
      .updateTable('contact')
      .set({ client_user_id: userId, updated_at: sql<Date>`now()` })
      .where('id', '=', contactId)
      .where('org_id', '=', event.orgid)
      .where('deleted_at', 'is', null)
      .where((eb) => eb.or([eb('client_user_id', 'is', null), eb('client_user_id', '=', userId)]))
      .returning('id')
      .execute();
    if (linked.length === 0) return;
    await this.timeline.record(unit.manager, {
      orgId: event.orgid,
      contactId,
      kind: 'client.registered',
      actorId: userId,
      data: { userId, via: event.data.via },
    });
  }
}
