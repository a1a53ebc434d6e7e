import { Injectable, Logger } from '@nestjs/common';
import { sql } from 'kysely';
import { CrmContactEvent, IdentityEvent, type CloudEvent, type CrmContactErasedData, type Revocation } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { isUuid } from '@keyhouse/util';
import type { IdentityDb } from '../../database/identity.db';
import { RevocationService } from '../auth/revocation.service';
import { SessionService } from '../auth/session.service';

/** Consumer group over `crm.events` (without `KAFKA_TOPIC_PREFIX`), also the inbox's consumer name. */
export const CONTACT_ERASURE_CONSUMER = 'identity.contact-erasure';

/** The name an erased user keeps. */
export const ERASED_USER_NAME = 'Erased user';

/** The address an erased user keeps: unique (the column is), and in the `.invalid` TLD (RFC 2606), so nothing is ever sent to it. */
export function erasedEmail(userId: string): string {
  return `erased-${userId}@erased.invalid`;
}

/**
 * Erasure across services (issue 3, privacy): `crm.contact.erased` → the client user linked to
 * that contact (`app_user.contact_id`, set at client self-registration; `role = client` only, a
 * staff account is never erased this way) loses its personal data in one transaction, applied
 * once per event through the inbox:
 * - name → `Erased user`, email → `erased-<id>@erased.invalid`, phone, password hash, 2FA secrets
 *   and email verification cleared, status `deactivated`, `erased_at` set;
 * - every session ended and its access tokens revoked (broadcast to gateways after commit), the
 *   sessions' IP and user agent cleared; pending one-time tokens and recovery codes deleted;
 * - login attempts keep their times and outcomes under the new address, without IP;
 * - local mail (the development mailbox) to the old address deleted;
 * - events: `identity.user.updated` (name and email, `from` redacted), `identity.user.deactivated`
 *   when the user was active, then `identity.user.erased { userId, contactId }`, with the actor of
 *   the crm erasure (the admin) as actor.
 * An erased contact with no linked user (a lead that never registered) changes nothing.
 */
@Injectable()
export class ContactErasureConsumer {
  private readonly logger = new Logger(ContactErasureConsumer.name);

  constructor(
    private readonly sessions: SessionService,
    private readonly revocations: RevocationService,
  ) {}

  /**
   * Applies one `crm.contact.erased` (consumer group `identity.contact-erasure`: the registry's
   * inbox applies it once) in `unit`, with the erasure's actor on the events; an event without a
   * valid contact or organization id changes nothing. The revocations are broadcast after commit.
   */
  @OnEvent(CrmContactEvent.contactErased, { group: CONTACT_ERASURE_CONSUMER })
  async onContactErased(event: CloudEvent<CrmContactErasedData>, unit: UnitOfWorkContext): Promise<void> {
    const contactId = (event.data as { contactId?: unknown } | null)?.contactId;
    if (!isUuid(contactId) || !isUuid(event.orgid)) return;
    const revocations = await this.eraseLinkedUsers(unit, event, contactId);
    unit.afterCommit(() => this.revocations.broadcast(revocations));
  }

  private async eraseLinkedUsers(unit: UnitOfWorkContext, event: CloudEvent, contactId: string): Promise<Revocation[]> {
    const manager = unit.manager;
    const db = kyselyFor<IdentityDb>(manager);
    const users = await db
      .selectFrom('app_user')
      .select(['id', 'email', 'status'])
      .where('org_id', '=', event.orgid)
      .where('contact_id', '=', contactId)
      .where('role', '=', 'client')
      .where('erased_at', 'is', null)
      .forUpdate()
      .execute();
    const revocations: Revocation[] = [];
    for (const user of users) {
      const email = erasedEmail(user.id);
      await db
        .updateTable('app_user')
        .set((eb) => ({
          name: ERASED_USER_NAME,
          email,
          phone: null,
          password_hash: null,
          mfa_enabled: false,
          mfa_secret_enc: null,
          mfa_pending_secret_enc: null,
          mfa_last_time_step: null,
          email_verified_at: null,
          status: 'deactivated',
          deactivated_at: eb.fn.coalesce('deactivated_at', sql<Date>`now()`),
          erased_at: sql<Date>`now()`,
          updated_at: sql<Date>`now()`,
        }))
        .where('id', '=', user.id)
        .execute();
      revocations.push(...(await this.sessions.revokeAllSessions(manager, user.id)));
      await db.updateTable('refresh_token').set({ ip: null, user_agent: null }).where('user_id', '=', user.id).execute();
      await db.deleteFrom('one_time_token').where('user_id', '=', user.id).execute();
      await db.deleteFrom('mfa_recovery_code').where('user_id', '=', user.id).execute();
      await db
        .updateTable('login_attempt')
        .set({ email, ip: null })
        .where((eb) => eb.or([eb('user_id', '=', user.id), eb('email', '=', eb.fn<string>('lower', [eb.val(user.email)]))]))
        .execute();
      await db.deleteFrom('local_mail').where('to_address', '=', user.email).execute();
      await unit.emit(IdentityEvent.userUpdated, user.id, event.orgid, {
        userId: user.id,
        changes: { name: { from: '[redacted]', to: ERASED_USER_NAME }, email: { from: '[redacted]', to: email } },
      });
      if (user.status !== 'deactivated') await unit.emit(IdentityEvent.userDeactivated, user.id, event.orgid, { userId: user.id });
      await unit.emit(IdentityEvent.userErased, user.id, event.orgid, { userId: user.id, contactId });
      this.logger.log(`Erased client user ${user.id} of contact ${contactId} (event ${event.id})`);
    }
    return revocations;
  }
}
