import type { CloudEvent } from '@keyhouse/contracts';
import { draftFromEvent, maskEmail, maskPhone, MAX_STRING } from './audit-entry.mapper';

const ORG = '01900000-0000-7000-8000-0000000000aa';

function event(type: string, data: unknown, extra: Partial<CloudEvent> = {}): CloudEvent {
  return {
    specversion: '1.0',
    id: 'evt-1',
    source: 'keyhouse/crm',
    type,
    subject: 'rec-1',
    time: '2026-11-21T03:00:00.123Z',
    datacontenttype: 'application/json',
    dataschema: `urn:keyhouse:event:${type}:v1`,
    orgid: ORG,
    actortype: 'user',
    actorid: 'u-1',
    actorrole: 'admin',
    requestid: 'req-1',
    data,
    ...extra,
  };
}

describe('draftFromEvent', () => {
  it('maps type, subject, actor and org generically', () => {
    const draft = draftFromEvent(event('crm.contact.updated', { changes: { stage: { from: 'lead', to: 'client' } } }));
    expect(draft).toMatchObject({
      orgId: ORG,
      eventId: 'evt-1',
      action: 'crm.contact.updated',
      actor: { type: 'user', id: 'u-1', role: 'admin' },
      target: { model: 'contact', id: 'rec-1' },
      occurredAt: '2026-11-21T03:00:00.123Z',
      source: 'keyhouse/crm',
      requestId: 'req-1',
      changes: { stage: { from: 'lead', to: 'client' } },
      details: null,
    });
  });

  it('turns from/to into a change named after the type', () => {
    const draft = draftFromEvent(event('identity.user.role_changed', { userId: 'u-2', from: 'agent', to: 'manager' }));
    expect(draft.changes).toEqual({ role: { from: 'agent', to: 'manager' } });
    expect(draft.details).toEqual({ userId: 'u-2' });
  });

  it('records a created snapshot as changes from null', () => {
    const draft = draftFromEvent(event('deals.transaction.created', { name: 'Sale', priceCents: 50_000_000 }));
    expect(draft.changes).toEqual({ name: { from: null, to: 'Sale' }, priceCents: { from: null, to: 50_000_000 } });
  });

  it('never stores secrets and masks e-mail addresses and phone numbers', () => {
    const draft = draftFromEvent(
      event('crm.contact.updated', {
        changes: {
          email: { from: 'jane@example.com', to: 'jd@example.org' },
          phone: { from: '+1 206 555 0134', to: null },
          passwordHash: { from: 'x', to: 'y' },
        },
        apiKey: 'kh_live_secret',
        apiKeyId: 'k-1',
        token: 'abc',
        note: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig',
        dateOfBirth: '1980-01-01',
      }),
    );
    expect(draft.changes).toEqual({
      email: { from: 'j***@example.com', to: 'j***@example.org' },
      phone: { from: '***34', to: null },
      passwordHash: { from: '[redacted]', to: '[redacted]' },
    });
    expect(draft.details).toEqual({
      apiKey: '[redacted]',
      apiKeyId: 'k-1',
      token: '[redacted]',
      note: '[redacted]',
      dateOfBirth: '[masked]',
    });
  });

  it('takes ip and user agent from the data and masks an e-mail subject', () => {
    const draft = draftFromEvent(
      event(
        'identity.login.failed',
        { userId: null, email: 'Bob@x.io', reason: 'bad_credentials', ip: '10.0.0.1', userAgent: 'curl/8' },
        {
          subject: 'bob@x.io',
          orgid: '00000000-0000-0000-0000-000000000000',
          actortype: 'system',
          actorid: undefined,
          actorrole: undefined,
        },
      ),
    );
    expect(draft).toMatchObject({ ip: '10.0.0.1', userAgent: 'curl/8', target: { model: 'login', id: 'b***@x.io' } });
    expect(draft.details).toEqual({ userId: null, email: 'B***@x.io', reason: 'bad_credentials' });
    expect(draft.actor).toEqual({ type: 'system', id: null, role: null });
  });

  it('neutralises control characters and truncates long strings (log injection)', () => {
    const draft = draftFromEvent(event('crm.note.added', { text: 'a\r\nFAKE LINE\u001b[31m', long: 'x'.repeat(70_000) }));
    expect(draft.details!.text).toBe('a\uFFFD\uFFFDFAKE LINE\uFFFD[31m');
    expect((draft.details!.long as string).length).toBe(MAX_STRING + '…[truncated]'.length);
  });

  it('falls back to the nil organization and the system actor for foreign shapes', () => {
    const draft = draftFromEvent({ id: 'x', type: 'weird', data: 'text' } as unknown as CloudEvent);
    expect(draft.orgId).toBe('00000000-0000-0000-0000-000000000000');
    expect(draft.actor.type).toBe('system');
    expect(draft.target.model).toBe('weird');
  });
});

describe('masking rules', () => {
  it('keeps the first character and the domain of an address, the last two digits of a phone', () => {
    expect(maskEmail('alice@brokerage.com')).toBe('a***@brokerage.com');
    expect(maskPhone('(206) 555-0199')).toBe('***99');
  });
});
