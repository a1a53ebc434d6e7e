import { outboxAndInboxDdl } from './outbox-ddl.util';

describe('outboxAndInboxDdl', () => {
  const statements = outboxAndInboxDdl('crm');
  const all = statements.join('\n');

  it('creates the outbox and inbox tables in the given schema', () => {
    expect(all).toMatch(/CREATE TABLE IF NOT EXISTS "crm"\.outbox_event \(/);
    expect(all).toMatch(/CREATE TABLE IF NOT EXISTS "crm"\.inbox_event \(/);
    for (const table of ['outbox_event', 'inbox_event']) {
      const references = all.match(new RegExp(`\\b${table}\\b`, 'g')) ?? [];
      const qualified = all.match(new RegExp(`"crm"\\.${table}\\b`, 'g')) ?? [];
      expect(references.length).toBeGreaterThan(0);
      expect(qualified).toHaveLength(references.length);
    }
  });

  it('creates a partial index over unpublished outbox rows ordered by seq', () => {
    expect(statements).toContainEqual(
      expect.stringMatching(/CREATE INDEX IF NOT EXISTS \w+ ON "crm"\.outbox_event \(seq\) WHERE published_at IS NULL$/),
    );
  });

  it('keys the inbox on consumer and event id so a redelivery cannot be recorded twice', () => {
    const inbox = statements.find((s) => s.includes('inbox_event ('));
    expect(inbox).toMatch(/PRIMARY KEY \(consumer, event_id\)/);
  });

  it('makes the outbox event id unique and orders rows by a bigserial seq', () => {
    const outbox = statements.find((s) => s.includes('outbox_event ('));
    expect(outbox).toMatch(/seq bigserial PRIMARY KEY/);
    expect(outbox).toMatch(/id uuid NOT NULL UNIQUE/);
  });

  it('qualifies every statement with the schema when called for another schema', () => {
    for (const statement of outboxAndInboxDdl('identity')) expect(statement).toContain('"identity".');
  });
});
