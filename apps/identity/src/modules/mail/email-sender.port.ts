import type { EntityManager } from 'typeorm';

/** What a message is for; `login_unlock` is the sign-in link past a login throttle. */
export type EmailTemplate = 'password_reset' | 'email_verification' | 'invitation' | 'login_unlock' | 'security_notice';

/** An email the identity service sends (verification, reset, invitation, sign-in link, security notice). */
export interface OutgoingEmail {
  orgId: string | null;
  to: string;
  subject: string;
  /** The body as sent, secrets included (a link carries its token). */
  text: string;
  template: EmailTemplate;
  /** Values the message carries that anyone may see, e.g. `{ reason }` of a security notice. */
  variables: Record<string, string>;
  /**
   * Values that act for the recipient, e.g. `{ token, link }`: a provider delivers them in `text`;
   * a record kept for people other than the recipient shows `[redacted]` instead.
   */
  secrets?: Record<string, string>;
}

/**
 * Port to an email provider. The local adapter records the message in `local_mail` inside the
 * caller's transaction (so it exists if and only if the change commits) with its secrets
 * redacted; admins read it with `GET /v1/local-mailbox`, developers and tests the secrets over
 * NATS (`identity.local-mailbox.secrets`) outside production. The notifications service will
 * provide the SendGrid adapter.
 */
export interface EmailSender {
  send(manager: EntityManager, email: OutgoingEmail): Promise<void>;
}

export const EMAIL_SENDER = Symbol('EMAIL_SENDER');

/** What a secret reads as wherever someone other than the recipient can see the message. */
export const REDACTED = '[redacted]';

/** `email` as a third party may see it: every secret value replaced by `[redacted]` in the text and variables. */
export function redactSecrets(email: Pick<OutgoingEmail, 'text' | 'variables' | 'secrets'>): {
  text: string;
  variables: Record<string, string>;
} {
  const secrets = Object.entries(email.secrets ?? {}).filter(([, value]) => value.length > 0);
  // Longest first, so that a link is redacted whole before the token inside it.
  const values = secrets.map(([, value]) => value).sort((a, b) => b.length - a.length);
  let text = email.text;
  for (const value of values) text = text.split(value).join(REDACTED);
  const variables = { ...email.variables };
  for (const [key] of secrets) variables[key] = REDACTED;
  return { text, variables };
}
