import { channelSettings } from './channel-preference.util';

const base = { triggerDefaults: ['in_app', 'email', 'sms'] as const, organization: [], everyType: [], thisType: [], mandatory: false };

describe('channelSettings', () => {
  it('takes the trigger defaults when nothing else is set, default channels first', () => {
    expect(channelSettings(base)).toEqual([
      { channel: 'in_app', enabled: true, defaultEnabled: true, source: 'default' },
      { channel: 'email', enabled: true, defaultEnabled: true, source: 'default' },
      { channel: 'sms', enabled: true, defaultEnabled: true, source: 'default' },
      { channel: 'push', enabled: false, defaultEnabled: false, source: 'default' },
    ]);
  });

  it('lets the organization change a default, the user override it, and the type row win over the every-type row', () => {
    const settings = channelSettings({
      ...base,
      organization: [
        { channel: 'sms', enabled: false },
        { channel: 'push', enabled: true },
      ],
      everyType: [
        { channel: 'email', enabled: false },
        { channel: 'in_app', enabled: false },
      ],
      thisType: [{ channel: 'in_app', enabled: true }],
    });
    expect(settings).toEqual([
      { channel: 'in_app', enabled: true, defaultEnabled: true, source: 'user' },
      { channel: 'email', enabled: false, defaultEnabled: true, source: 'identity' },
      { channel: 'sms', enabled: false, defaultEnabled: false, source: 'organization' },
      { channel: 'push', enabled: true, defaultEnabled: true, source: 'organization' },
    ]);
  });

  it('keeps default-on channels of a mandatory type on whatever the user said, and still lets them add a channel', () => {
    const settings = channelSettings({
      ...base,
      mandatory: true,
      thisType: [
        { channel: 'email', enabled: false },
        { channel: 'push', enabled: true },
      ],
    });
    expect(settings.find((setting) => setting.channel === 'email')).toEqual({
      channel: 'email',
      enabled: true,
      defaultEnabled: true,
      source: 'mandatory',
    });
    expect(settings.find((setting) => setting.channel === 'push')).toEqual({
      channel: 'push',
      enabled: true,
      defaultEnabled: false,
      source: 'user',
    });
  });
});
