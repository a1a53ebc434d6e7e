import { classifyInbound, deliveryStatusOfTwilio, formParams, twiml } from './twilio-webhook.util';

describe('Twilio webhook helpers', () => {
  describe('classifyInbound', () => {
    it("knows Twilio's default opt-out words in any case, trimmed", () => {
      for (const body of ['STOP', ' stop ', 'Unsubscribe', 'end', 'QUIT', 'stopall', 'Revoke', 'OPTOUT', 'cancel']) {
        expect(classifyInbound(body).kind).toBe('opt_out');
      }
      expect(classifyInbound(' stop ')).toEqual({ kind: 'opt_out', keyword: 'STOP' });
    });

    it('knows START and UNSTOP as opt-in and HELP as help', () => {
      expect(classifyInbound('start')).toEqual({ kind: 'opt_in', keyword: 'START' });
      expect(classifyInbound('UNSTOP')).toEqual({ kind: 'opt_in', keyword: 'UNSTOP' });
      expect(classifyInbound('Help')).toEqual({ kind: 'help', keyword: 'HELP' });
    });

    it('treats a sentence that contains a keyword as a message', () => {
      expect(classifyInbound('please stop calling me after 6')).toEqual({ kind: 'message', keyword: null });
      expect(classifyInbound('STOP!')).toEqual({ kind: 'message', keyword: null });
    });
  });

  describe('deliveryStatusOfTwilio', () => {
    it("maps Twilio's statuses onto the delivery's, terminal failures included", () => {
      expect(deliveryStatusOfTwilio('sending')).toBe('sent');
      expect(deliveryStatusOfTwilio('sent')).toBe('sent');
      expect(deliveryStatusOfTwilio('delivered')).toBe('delivered');
      expect(deliveryStatusOfTwilio('read')).toBe('opened');
      expect(deliveryStatusOfTwilio('undelivered')).toBe('failed');
      expect(deliveryStatusOfTwilio('failed')).toBe('failed');
      expect(deliveryStatusOfTwilio('canceled')).toBe('failed');
    });

    it('ignores statuses that say nothing about a sent message', () => {
      expect(deliveryStatusOfTwilio('queued')).toBeNull();
      expect(deliveryStatusOfTwilio('accepted')).toBeNull();
      expect(deliveryStatusOfTwilio('receiving')).toBeNull();
    });
  });

  it('reads a form body into its parameters', () => {
    expect(formParams('MessageSid=SM1&Body=Hi+there%21&NumMedia=0')).toEqual({ MessageSid: 'SM1', Body: 'Hi there!', NumMedia: '0' });
  });

  it('answers TwiML, escaping the reply text', () => {
    expect(twiml(null)).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    expect(twiml('Rates & <fees> may apply')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Rates &amp; &lt;fees&gt; may apply</Message></Response>',
    );
  });
});
