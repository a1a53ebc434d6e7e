import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/** SendGrid's batch size limit: a batch is posted when it reaches 768 KB (PROVIDERS.md); larger bodies are refused. */
export const SENDGRID_WEBHOOK_MAX_BYTES = 768 * 1024;

/** Why a webhook request was refused before anything was stored (logged; the client only sees 401). */
export type SignatureRefusal = 'missing_signature' | 'missing_timestamp' | 'malformed_timestamp' | 'stale_timestamp' | 'bad_signature';

/** Parses SendGrid's verification key (base64 DER SubjectPublicKeyInfo, ECDSA P-256). @throws Error when it is not one. */
export function sendgridPublicKey(base64: string): KeyObject {
  const key = createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('SENDGRID_WEBHOOK_PUBLIC_KEY is not an ECDSA P-256 public key');
  }
  return key;
}

/**
 * Verifies a SendGrid Signed Event Webhook request (RELIABILITY.md 5.1; sendgrid-nodejs
 * `eventwebhook.js`): ECDSA P-256 / SHA-256 over the UTF-8 bytes of `timestamp + rawBody` (the body
 * exactly as received, never re-serialized), `signature` = base64 of the DER (r, s) signature.
 * The timestamp (unix seconds, `X-Twilio-Email-Event-Webhook-Timestamp`) must be within
 * `maxAgeSeconds` of `nowSeconds` either way (0: no window).
 *
 * @returns null when it verifies, else why not.
 */
export function checkSendgridSignature(
  request: { rawBody: string; signature: string | null; timestamp: string | null },
  options: { publicKey: KeyObject; maxAgeSeconds: number; nowSeconds: number },
): SignatureRefusal | null {
  if (!request.signature) return 'missing_signature';
  if (!request.timestamp) return 'missing_timestamp';
  if (!/^\d{1,12}$/.test(request.timestamp)) return 'malformed_timestamp';
  if (options.maxAgeSeconds > 0 && Math.abs(options.nowSeconds - Number(request.timestamp)) > options.maxAgeSeconds) {
    return 'stale_timestamp';
  }
  try {
    const ok = verify(
      'sha256',
      Buffer.from(request.timestamp + request.rawBody, 'utf8'),
      { key: options.publicKey, dsaEncoding: 'der' },
      Buffer.from(request.signature, 'base64'),
    );
    return ok ? null : 'bad_signature';
  } catch {
    return 'bad_signature';
  }
}
