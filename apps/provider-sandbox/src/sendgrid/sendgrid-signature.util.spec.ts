import { SENDGRID_TEST_SIGNING_KEY, SENDGRID_TEST_VERIFICATION_KEY, verificationKeyFor } from '../sandbox-settings.config';
import { sendgridSignatureHeaders, signSendgridPayload, verifySendgridPayload } from './sendgrid-signature.util';

// SendGrid's published SDK vector (sendgrid-nodejs eventwebhook.spec.js), transcribed here so the
// spec does not depend on ../shared being present.
const VECTOR = {
  publicKey: SENDGRID_TEST_VERIFICATION_KEY,
  timestamp: '1588788367',
  signature: 'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=',
  body: '{"category":"example_payload","event":"test_event","message_id":"message_id"}',
};

describe('SendGrid event webhook signature', () => {
  it('verifies the SDK test vector with the published verification key', () => {
    expect(verifySendgridPayload(VECTOR.publicKey, VECTOR.timestamp, VECTOR.body, VECTOR.signature)).toBe(true);
    expect(verifySendgridPayload(VECTOR.publicKey, 'timestamp', VECTOR.body, VECTOR.signature)).toBe(false);
    expect(verifySendgridPayload(VECTOR.publicKey, VECTOR.timestamp, 'payload', VECTOR.signature)).toBe(false);
  });

  it('signs with the test private key so that the published public key verifies it', () => {
    const signature = signSendgridPayload(SENDGRID_TEST_SIGNING_KEY, '1700000000', '[{"event":"processed"}]');
    expect(verifySendgridPayload(VECTOR.publicKey, '1700000000', '[{"event":"processed"}]', signature)).toBe(true);
    expect(verifySendgridPayload(VECTOR.publicKey, '1700000001', '[{"event":"processed"}]', signature)).toBe(false);
  });

  it('derives the published verification key from the test private key', () => {
    expect(verificationKeyFor(SENDGRID_TEST_SIGNING_KEY)).toBe(VECTOR.publicKey);
  });

  it('puts unix seconds in the timestamp header and signs timestamp + body', () => {
    const headers = sendgridSignatureHeaders(SENDGRID_TEST_SIGNING_KEY, '[]', new Date('2026-01-01T00:00:00.500Z'));
    expect(headers['X-Twilio-Email-Event-Webhook-Timestamp']).toBe('1767225600');
    expect(verifySendgridPayload(VECTOR.publicKey, '1767225600', '[]', headers['X-Twilio-Email-Event-Webhook-Signature'])).toBe(true);
  });
});
