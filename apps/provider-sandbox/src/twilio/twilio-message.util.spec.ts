import { optOutTypeOf, rawDlrDoneDate, segmentsOf, twilioDate } from './twilio-message.util';

describe('twilio message helpers', () => {
  it('types only a whole-body keyword, case-insensitively (Advanced Opt-Out defaults)', () => {
    expect(['STOP', 'stop', ' StopAll ', 'UNSUBSCRIBE', 'END', 'QUIT', 'REVOKE', 'OPTOUT', 'CANCEL'].map(optOutTypeOf)).toEqual(
      Array(9).fill('STOP'),
    );
    expect(['START', 'unstop'].map(optOutTypeOf)).toEqual(['START', 'START']);
    expect(optOutTypeOf('help')).toBe('HELP');
    expect(optOutTypeOf('STOP PLEASE')).toBeUndefined();
    expect(optOutTypeOf('Yes I will be there')).toBeUndefined();
  });

  it('formats dates as Twilio does', () => {
    const date = new Date('2024-01-15T12:30:45Z');
    expect(twilioDate(date)).toBe('Mon, 15 Jan 2024 12:30:45 +0000');
    expect(rawDlrDoneDate(date)).toBe('2401151230');
  });

  it('counts 160 characters as one segment and 153 per segment beyond', () => {
    expect(segmentsOf('a'.repeat(160))).toBe(1);
    expect(segmentsOf('a'.repeat(161))).toBe(2);
    expect(segmentsOf('a'.repeat(307))).toBe(3);
  });
});
