import type { EntityManager } from 'typeorm';
import type { Actor } from '@keyhouse/contracts';
import { OutboxService, type DomainEventInput } from './outbox.service';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ORG_ID = '0190a6f2-8c1e-7c3a-9a51-0000000000aa';
const USER_ID = '0190a6f2-8c1e-7c3a-9a51-000000000001';
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function userActor(overrides: Partial<Actor> = {}): Actor {
  return { type: 'user', userId: USER_ID, orgId: ORG_ID, role: 'admin', teamIds: [], permissions: [], ...overrides };
}

function inputOf(overrides: Partial<DomainEventInput> = {}): DomainEventInput<{ email: string }> {
  return {
    type: 'identity.user.created',
    subject: '0190a6f2-8c1e-7c3a-9a51-0000000000ee',
    orgId: ORG_ID,
    data: { email: 'a@example.com' },
    ...overrides,
  } as DomainEventInput<{ email: string }>;
}

describe('OutboxService', () => {
  const service = new OutboxService({ serviceName: 'identity', schema: 'identity', topicPrefix: '' });

  describe('buildEvent', () => {
    it('builds a CloudEvents 1.0 envelope with the user actor and correlation ids', () => {
      const before = Date.now();
      const event = service.buildEvent(inputOf(), { actor: userActor(), requestId: 'req-1', traceparent: TRACEPARENT });
      const after = Date.now();
      expect(event).toEqual({
        specversion: '1.0',
        id: expect.stringMatching(UUID_V7),
        source: 'keyhouse/identity',
        type: 'identity.user.created',
        subject: '0190a6f2-8c1e-7c3a-9a51-0000000000ee',
        time: expect.any(String),
        datacontenttype: 'application/json',
        dataschema: 'urn:keyhouse:event:identity.user.created:v1',
        orgid: ORG_ID,
        actortype: 'user',
        actorid: USER_ID,
        actorrole: 'admin',
        requestid: 'req-1',
        traceparent: TRACEPARENT,
        data: { email: 'a@example.com' },
      });
      expect(new Date(event.time).toISOString()).toBe(event.time);
      expect(Date.parse(event.time)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(event.time)).toBeLessThanOrEqual(after);
    });

    it('uses the given schema version in dataschema when one is set', () => {
      expect(service.buildEvent(inputOf({ version: 3 }), { actor: null }).dataschema).toBe('urn:keyhouse:event:identity.user.created:v3');
    });

    it('uses the API key id as actor id when the actor is an API key', () => {
      const event = service.buildEvent(inputOf(), { actor: userActor({ type: 'api_key', apiKeyId: 'key-7', role: 'api_key' }) });
      expect(event.actortype).toBe('api_key');
      expect(event.actorid).toBe('key-7');
      expect(event.actorrole).toBe('api_key');
    });

    it('marks the event as system and omits actor and correlation fields when there is no actor', () => {
      const event = service.buildEvent(inputOf(), { actor: null });
      expect(event.actortype).toBe('system');
      for (const attribute of ['actorid', 'actorrole', 'requestid', 'traceparent']) expect(event).not.toHaveProperty(attribute);
    });

    it('gives every event its own time-ordered id when building several', () => {
      const ids = Array.from({ length: 50 }, () => service.buildEvent(inputOf(), { actor: null }).id);
      expect(new Set(ids).size).toBe(50);
      expect([...ids].sort()).toEqual(ids);
    });

    it('names the configured service in source when the service differs', () => {
      const crm = new OutboxService({ serviceName: 'crm', schema: 'crm', topicPrefix: 'test.' });
      expect(crm.buildEvent(inputOf({ type: 'crm.contact.created' }), { actor: null }).source).toBe('keyhouse/crm');
    });
  });

  describe('publish', () => {
    it('inserts one row per event into the schema outbox with numbered parameters, and notifies the schema channel', async () => {
      // the manager's own query runner (a transaction's), as kyselyFor runs its statements
      const query = jest.fn().mockResolvedValue({ records: [] });
      const staging = new OutboxService({ serviceName: 'identity', schema: 'identity', topicPrefix: 'staging.' });
      const manager = { queryRunner: { query } } as unknown as EntityManager;
      const events = await staging.publish(manager, [inputOf(), inputOf({ type: 'identity.user.updated' })], {
        actor: userActor(),
        traceparent: TRACEPARENT,
      });
      expect(events).toHaveLength(2);
      expect(query).toHaveBeenCalledTimes(1);
      const [sql, values] = query.mock.calls[0] as [string, unknown[]];
      expect(sql).toContain('insert into "identity"."outbox_event" ("id", "topic", "message_key", "event_type", "payload", "headers")');
      expect(sql).toContain('values ($1, $2, $3, $4, $5, $6), ($7, $8, $9, $10, $11, $12)');
      expect(sql).toContain('select pg_notify($13');
      expect(values).toHaveLength(14);
      expect(values[12]).toBe('identity.outbox');
      expect(values.slice(0, 4)).toEqual([events[0].id, 'staging.identity.events', events[0].subject, 'identity.user.created']);
      expect(JSON.parse(values[4] as string)).toEqual(events[0]);
      expect(JSON.parse(values[5] as string)).toEqual({
        ce_id: events[0].id,
        ce_type: 'identity.user.created',
        ce_source: 'keyhouse/identity',
        ce_specversion: '1.0',
        traceparent: TRACEPARENT,
      });
      expect(values[9]).toBe('identity.user.updated');
    });

    it('does not query when there are no events', async () => {
      const query = jest.fn();
      await expect(service.publish({ query } as unknown as EntityManager, [], { actor: null })).resolves.toEqual([]);
      expect(query).not.toHaveBeenCalled();
    });
  });
});
