import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SENDGRID_TEST_WEBHOOK_PUBLIC_KEY } from '../../config/notifications.config';
import { checkSendgridSignature, sendgridPublicKey } from './sendgrid-signature.util';

/** SendGrid's official vector (sendgrid-nodejs eventwebhook.spec.js), as ../shared/data keeps it. */
const VECTOR = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../../../../../shared/data/sendgrid/event-webhook/signed/sdk_vector_simple.json'), 'utf8'),
) as {
  public_key: string;
  body: string;
  headers: Record<string, string>;
  negative_cases: { other_public_key: string; bad_payload: string; bad_signature: string; bad_timestamp: string };
};

const signature = VECTOR.headers['X-Twilio-Email-Event-Webhook-Signature'];
const timestamp = VECTOR.headers['X-Twilio-Email-Event-Webhook-Timestamp'];
const vectorTime = Number(timestamp);
const key = sendgridPublicKey(VECTOR.public_key);
const noWindow = { publicKey: key, maxAgeSeconds: 0, nowSeconds: vectorTime };

describe('checkSendgridSignature (RELIABILITY.md 5.1)', () => {
  it('defaults to the key of the official test vector', () => {
    expect(SENDGRID_TEST_WEBHOOK_PUBLIC_KEY).toBe(VECTOR.public_key);
  });

  it('accepts the official vector', () => {
    expect(checkSendgridSignature({ rawBody: VECTOR.body, signature, timestamp }, noWindow)).toBeNull();
  });

  it.each([
    ['another public key', { rawBody: VECTOR.body, signature, timestamp }, sendgridPublicKey(VECTOR.negative_cases.other_public_key)],
    ['another payload', { rawBody: VECTOR.negative_cases.bad_payload, signature, timestamp }, key],
    ['a changed signature', { rawBody: VECTOR.body, signature: VECTOR.negative_cases.bad_signature, timestamp }, key],
    ['a pretty-printed body', { rawBody: JSON.stringify(JSON.parse(VECTOR.body), null, 2), signature, timestamp }, key],
    ['a signature that is not DER', { rawBody: VECTOR.body, signature: 'AAAA', timestamp }, key],
  ])('refuses %s', (_label, request, publicKey) => {
    expect(checkSendgridSignature(request, { ...noWindow, publicKey })).toBe('bad_signature');
  });

  it('names a missing or malformed header before verifying', () => {
    expect(checkSendgridSignature({ rawBody: VECTOR.body, signature: null, timestamp }, noWindow)).toBe('missing_signature');
    expect(checkSendgridSignature({ rawBody: VECTOR.body, signature, timestamp: null }, noWindow)).toBe('missing_timestamp');
    expect(checkSendgridSignature({ rawBody: VECTOR.body, signature, timestamp: VECTOR.negative_cases.bad_timestamp }, noWindow)).toBe(
      'malformed_timestamp',
    );
  });

  it('refuses a timestamp outside the window either way, and accepts one at its edge', () => {
    const request = { rawBody: VECTOR.body, signature, timestamp };
    const window = { publicKey: key, maxAgeSeconds: 600 };
    expect(checkSendgridSignature(request, { ...window, nowSeconds: vectorTime + 600 })).toBeNull();
    expect(checkSendgridSignature(request, { ...window, nowSeconds: vectorTime + 601 })).toBe('stale_timestamp');
    expect(checkSendgridSignature(request, { ...window, nowSeconds: vectorTime - 601 })).toBe('stale_timestamp');
  });

  it('refuses a key that is not P-256', () => {
    expect(() => sendgridPublicKey('MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=')).toThrow(
      'not an ECDSA P-256 public key',
    );
  });
});
