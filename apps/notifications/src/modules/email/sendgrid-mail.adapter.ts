import { Client } from '@sendgrid/client';
import { MailService, type MailDataRequired } from '@sendgrid/mail';
import type { NotificationsConfig } from '../../config/notifications.config';

/** One email as the SendGrid v3 mail send takes it (single recipient). */
export interface OutgoingEmail {
  to: string;
  from: { email: string; name: string };
  subject: string;
  text: string;
  html: string;
  /** String values only; `notificationId` and `deliveryId` (and `contactId`) come back on every webhook event. */
  customArgs: Record<string, string>;
  categories: string[];
  /**
   * The organization's SendGrid dynamic template (`d-` + 32 hex) and its data: when set, the send
   * carries `template_id` and `dynamic_template_data` and no subject or content (the template has
   * them); `subject`, `text` and `html` stay the built-in rendering (the local sink stores it).
   */
  template?: { id: string; data: Record<string, unknown> } | null;
}

/**
 * What a send came to: `sent` (202, with `X-Message-Id`); `retry` (429, 5xx, or the connection
 * was refused before anything was written: nothing reached SendGrid); `rejected` (another 4xx:
 * resending the same message cannot succeed); `unknown` (the request was written but no answer
 * came: a timeout or a reset; it may have been accepted, so it is not resent).
 */
export type SendOutcome =
  | { kind: 'sent'; messageId: string | null }
  | { kind: 'retry'; status: number | null; message: string }
  | { kind: 'rejected'; status: number; message: string; reason?: string }
  | { kind: 'unknown'; message: string };

/** Connection errors raised before the request was written: safe to retry (shared by the SMS channel). */
export const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * The SendGrid mail send through the official SDK (`@sendgrid/mail` on its own `@sendgrid/client`
 * instance, not the module singletons): API key `SENDGRID_API_KEY`, base URL `SENDGRID_BASE_URL`
 * (`setDefaultRequest('baseUrl', …)`: the provider sandbox locally), timeout `SENDGRID_TIMEOUT_MS`.
 * Built only when a key is configured.
 */
export class SendgridMailAdapter {
  private readonly mail = new MailService();

  constructor(config: Pick<NotificationsConfig, 'SENDGRID_API_KEY' | 'SENDGRID_BASE_URL' | 'SENDGRID_TIMEOUT_MS'>) {
    const client = new Client();
    client.setApiKey(config.SENDGRID_API_KEY ?? '');
    client.setDefaultRequest('baseUrl', config.SENDGRID_BASE_URL.replace(/\/+$/, ''));
    // axios' timeout; not in the SDK's request type, passed through to axios as it is.
    client.setDefaultRequest({ timeout: config.SENDGRID_TIMEOUT_MS } as never);
    this.mail.setClient(client);
  }

  /** Sends `email`; never throws for a provider answer or a network failure (see `SendOutcome`). */
  async send(email: OutgoingEmail): Promise<SendOutcome> {
    const common = { to: email.to, from: email.from, customArgs: email.customArgs, categories: email.categories };
    // With a dynamic template, SendGrid takes subject and content from the template; `dynamicTemplateData`
    // goes to the personalization's `dynamic_template_data` (the SDK's mapping).
    const data: MailDataRequired = email.template
      ? { ...common, templateId: email.template.id, dynamicTemplateData: email.template.data }
      : { ...common, subject: email.subject, text: email.text, html: email.html };
    try {
      const [response] = await this.mail.send(data);
      const header = (response.headers as Record<string, unknown>)['x-message-id'];
      return { kind: 'sent', messageId: typeof header === 'string' ? header : null };
    } catch (error) {
      return classifySendError(error);
    }
  }
}

/** Classifies an error of `MailService.send` (a `ResponseError` with `code` = HTTP status, or an axios/network error). */
export function classifySendError(error: unknown): SendOutcome {
  const failure = error as { code?: unknown; message?: string; response?: { body?: { errors?: Array<{ message?: string }> } } };
  if (typeof failure.code === 'number') {
    const status = failure.code;
    const message = failure.response?.body?.errors?.[0]?.message ?? failure.message ?? `HTTP ${status}`;
    if (status === 429 || status >= 500) return { kind: 'retry', status, message };
    return { kind: 'rejected', status, message };
  }
  const code = typeof failure.code === 'string' ? failure.code : '';
  if (NOT_SENT_CODES.has(code)) return { kind: 'retry', status: null, message: code };
  return { kind: 'unknown', message: code || failure.message || 'no answer' };
}
