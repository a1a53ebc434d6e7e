import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The repository root (apps/notifications/test/support → four levels up). */
const ROOT = path.resolve(__dirname, '../../../..');

/** SendGrid's official signed test vector (../shared/data; CI has it): its public key and the paired test private key. */
const VECTOR = JSON.parse(
  readFileSync(path.join(ROOT, '..', 'shared', 'data', 'sendgrid', 'event-webhook', 'signed', 'sdk_vector_simple.json'), 'utf8'),
) as { public_key: string; test_private_key_sec1_der_base64: string; negative_cases: { other_public_key: string } };

/** SendGrid's test private key (SEC1 DER), the pair of the service's default `SENDGRID_WEBHOOK_PUBLIC_KEY`. */
export const SENDGRID_TEST_PRIVATE_KEY: KeyObject = createPrivateKey({
  key: Buffer.from(VECTOR.test_private_key_sec1_der_base64, 'base64'),
  format: 'der',
  type: 'sec1',
});

/** The public key the vector pairs with the private key (the service's default). */
export const SENDGRID_TEST_PUBLIC_KEY = VECTOR.public_key;

/** A valid P-256 public key that did not sign anything here (the vector's negative case). */
export const SENDGRID_OTHER_PUBLIC_KEY = VECTOR.negative_cases.other_public_key;

/** Headers of a signed webhook POST: ECDSA P-256 / SHA-256 over `timestamp + rawBody`, base64 DER. */
export function signSendgridBatch(rawBody: string, timestamp = Math.floor(Date.now() / 1000)): { signature: string; timestamp: string } {
  const ts = String(timestamp);
  const signature = sign('sha256', Buffer.from(ts + rawBody, 'utf8'), { key: SENDGRID_TEST_PRIVATE_KEY, dsaEncoding: 'der' }).toString(
    'base64',
  );
  return { signature, timestamp: ts };
}

/** One SendGrid event as the webhook posts it, with our custom args at the top level. */
export function sendgridEvent(
  event: string,
  email: string,
  args: { deliveryId?: string; notificationId?: string; sgEventId?: string; timestamp?: number; extra?: Record<string, unknown> } = {},
): Record<string, unknown> {
  return {
    email,
    event,
    timestamp: args.timestamp ?? Math.floor(Date.now() / 1000),
    sg_event_id: args.sgEventId ?? `sg-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`,
    sg_message_id: 'sandbox-message.filter0001.1.0',
    ...(args.notificationId ? { notificationId: args.notificationId } : {}),
    ...(args.deliveryId ? { deliveryId: args.deliveryId } : {}),
    ...args.extra,
  };
}
