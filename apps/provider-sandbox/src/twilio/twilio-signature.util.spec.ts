import twilio from 'twilio';
import { twilioSignature } from './twilio-signature.util';

// Vectors of ../shared/data/twilio/webhook-signature/sdk_and_docs_vectors.json (Twilio's docs worked
// example) and ../shared/data/twilio/status-callback/derived_sms_status_callback_delivered.json,
// transcribed so the spec does not depend on ../shared.
const DOCS_EXAMPLE = {
  token: '12345',
  url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
  params: { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' },
  signature: '0/KCTR6DLpKmkAf8muzZqo1nDgQ=',
};
const DELIVERED_CALLBACK = {
  token: '12345',
  url: 'https://example.com/webhooks/twilio/status',
  params: {
    AccountSid: 'ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
    From: '+15017250604',
    MessageSid: 'SM1342fe1b2c904d1ab04f0fc7a58abca9',
    MessageStatus: 'delivered',
    SmsSid: 'SM1342fe1b2c904d1ab04f0fc7a58abca9',
    SmsStatus: 'delivered',
    RawDlrDoneDate: '2401151230',
  },
  signature: 'JJlVxdf1eJLx3JV6wgACISkp8rw=',
};

describe('twilioSignature', () => {
  it.each([DOCS_EXAMPLE, DELIVERED_CALLBACK])('matches the published vector for $url', (vector) => {
    expect(twilioSignature(vector.token, vector.url, vector.params)).toBe(vector.signature);
  });

  it('is accepted by the twilio SDK validator and refused with another token', () => {
    const url = 'http://127.0.0.1:4000/webhooks/twilio/status?tenant=a';
    const params = { MessageSid: 'SM0123', MessageStatus: 'sent', Body: 'Hello & good + bye' };
    const signature = twilioSignature('token-a', url, params);
    expect(twilio.validateRequest('token-a', signature, url, params)).toBe(true);
    expect(twilio.validateRequest('token-b', signature, url, params)).toBe(false);
  });
});
