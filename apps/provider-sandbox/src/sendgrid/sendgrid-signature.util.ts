import { createPublicKey, sign, verify } from 'node:crypto';
import { signingKeyObject } from '../sandbox-settings.config';

/** SendGrid's signed Event Webhook headers (RELIABILITY.md, sendgrid/docs getting-started-event-webhook-security-features). */
export const SENDGRID_SIGNATURE_HEADER = 'X-Twilio-Email-Event-Webhook-Signature';
export const SENDGRID_TIMESTAMP_HEADER = 'X-Twilio-Email-Event-Webhook-Timestamp';

/**
 * The signature SendGrid sends: base64 of the DER-encoded ECDSA P-256 / SHA-256 signature over the
 * UTF-8 bytes of `timestamp + rawBody` (`timestamp`: the timestamp header's value, unix seconds).
 * `privateKey`: PEM or base64 DER (SEC1 or PKCS#8). ECDSA signatures are randomised: two calls
 * differ, both verify.
 */
export function signSendgridPayload(privateKey: string, timestamp: string, rawBody: string): string {
  return sign('sha256', Buffer.from(timestamp + rawBody, 'utf8'), signingKeyObject(privateKey)).toString('base64');
}

/**
 * Whether `signature` (base64 DER) verifies `timestamp + rawBody` with `publicKey` (base64 DER
 * SPKI, SendGrid's "Verification Key", or PEM) — what `@sendgrid/eventwebhook`'s verifySignature does.
 */
export function verifySendgridPayload(publicKey: string, timestamp: string, rawBody: string, signature: string): boolean {
  const key = publicKey.includes('-----BEGIN')
    ? createPublicKey(publicKey)
    : createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
  return verify('sha256', Buffer.from(timestamp + rawBody, 'utf8'), key, Buffer.from(signature, 'base64'));
}

/** The two headers for `rawBody` signed now (timestamp = current unix seconds). */
export function sendgridSignatureHeaders(privateKey: string, rawBody: string, now = new Date()): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return {
    [SENDGRID_SIGNATURE_HEADER]: signSendgridPayload(privateKey, timestamp, rawBody),
    [SENDGRID_TIMESTAMP_HEADER]: timestamp,
  };
}
