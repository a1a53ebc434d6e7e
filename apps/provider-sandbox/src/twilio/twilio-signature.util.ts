import { createHmac } from 'node:crypto';

/** Twilio's webhook signature header. */
export const TWILIO_SIGNATURE_HEADER = 'X-Twilio-Signature';

/**
 * `X-Twilio-Signature` for a form-urlencoded POST (twilio.com/docs/usage/webhooks/webhooks-security;
 * vectors in ../shared/data/twilio/webhook-signature): base64 HMAC-SHA1, keyed with the auth token,
 * over the full URL as requested followed by every POST parameter sorted by name, each as
 * name + value. What `twilio.validateRequest(token, signature, url, params)` checks.
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((text, name) => text + name + params[name], url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}
