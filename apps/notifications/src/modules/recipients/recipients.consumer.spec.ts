import { changedChannelSwitches } from './recipients.consumer';

describe('changedChannelSwitches', () => {
  it('keeps only the channels whose switch changed, mapped to our channel names', () => {
    expect(
      changedChannelSwitches({ from: { email: true, sms: false, inApp: true }, to: { email: true, sms: false, inApp: false } }),
    ).toEqual([{ channel: 'in_app', enabled: false }]);
    expect(
      changedChannelSwitches({ from: { email: true, sms: false, inApp: true }, to: { email: false, sms: true, inApp: true } }),
    ).toEqual([
      { channel: 'email', enabled: false },
      { channel: 'sms', enabled: true },
    ]);
  });

  it('takes every boolean of `to` when `from` is missing, and nothing from a malformed change', () => {
    expect(changedChannelSwitches({ from: null, to: { email: false } })).toEqual([{ channel: 'email', enabled: false }]);
    expect(changedChannelSwitches({ from: {}, to: 'off' })).toEqual([]);
    expect(changedChannelSwitches(undefined)).toEqual([]);
  });
});
