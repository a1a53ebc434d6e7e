import type { EntityManager } from 'typeorm';

/** An email the identity service sends (verification, reset, invitation, security notice). */
export interface OutgoingEmail {
  orgId: string | null;
  to: string;
  subject: string;
  text: string;
  template: 'password_reset' | 'email_verification' | 'invitation' | 'security_notice';
  /** Values the message carries, e.g. `{ token, link }`. */
  variables: Record<string, string>;
}

/**
 * Port to an email provider. The local adapter records the message in `local_mail` inside the
 * caller's transaction (so it exists if and only if the change commits) and developers read it
 * with `GET /v1/local-mailbox`; the notifications service will provide the SendGrid adapter.
 */
export interface EmailSender {
  send(manager: EntityManager, email: OutgoingEmail): Promise<void>;
}

export const EMAIL_SENDER = Symbol('EMAIL_SENDER');
