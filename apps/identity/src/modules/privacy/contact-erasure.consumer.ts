import { Injectable, Logger } from '@nestjs/common';
import { CrmContactEvent, IdentityEvent, type CloudEvent, type CrmContactErasedData, type Revocation } from '@keyhouse/contracts';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { isUuid } from '@keyhouse/util';
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
    const users = (await manager.query(
      `SELECT id, email, status FROM app_user WHERE org_id = $1 AND contact_id = $2 AND role = 'client' AND erased_at IS NULL FOR UPDATE`,
      [event.orgid, contactId],
    )) as Array<{ id: string; email: string; status: string }>;
    const revocations: Revocation[] = [];
    for (const user of users) {
      const email = erasedEmail(user.id);
      await manager.query(
        `UPDATE app_user SET name = $2, email = $3, phone = NULL, password_hash = NULL, mfa_enabled = false, mfa_secret_enc = NULL,
                mfa_pending_secret_enc = NULL, mfa_last_time_step = NULL, email_verified_at = NULL, status = 'deactivated',
                deactivated_at = coalesce(deactivated_at, now()), erased_at = now(), updated_at = now()
          WHERE id = $1`,
        [user.id, ERASED_USER_NAME, email],
      );
      revocations.push(...(await this.sessions.revokeAllSessions(manager, user.id)));
      await manager.query(`UPDATE refresh_token SET ip = NULL, user_agent = NULL WHERE user_id = $1`, [user.id]);
      await manager.query(`DELETE FROM one_time_token WHERE user_id = $1`, [user.id]);
      await manager.query(`DELETE FROM mfa_recovery_code WHERE user_id = $1`, [user.id]);
      await manager.query(`UPDATE login_attempt SET email = $2, ip = NULL WHERE user_id = $1 OR email = lower($3)`, [
        user.id,
        email,
        user.email,
      ]);
      await manager.query(`DELETE FROM local_mail WHERE to_address = $1`, [user.email]);
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
