import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import {
  AuditSubjects,
  CrmContactEvent,
  DealsEvent,
  IdentityEvent,
  ListingsEvent,
  type AuditEntryView,
  type CloudEvent,
} from '@keyhouse/contracts';
import { actorFor, startService, testEvent, type TestService } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startAudit } from '../../src/main';
import { waitForEntries } from '../support/audit-entries.util';

/** The audit service alone (no gateway, no identity): events in over Kafka, the trail out over NATS. */
describe('audit ingest and chain (audit service over NATS and Kafka)', () => {
  const archiveDir = mkdtempSync(path.join(tmpdir(), 'kh-audit-archive-'));
  let audit: TestService;

  beforeAll(async () => {
    audit = await startService(startAudit, { AUDIT_ARCHIVE_DIR: archiveDir });
  });

  afterAll(async () => {
    await audit?.stop();
    rmSync(archiveDir, { recursive: true, force: true });
  });

  /** An organization with an owner who may read its whole trail. */
  function newOwner() {
    return actorFor({ orgId: newId(), role: 'owner', permissions: ['audit:read:org', 'organizations:write:org'] });
  }

  it('records an event delivered twice once, with its actor, request id and masked change set', async () => {
    const owner = newOwner();
    const event = testEvent(
      CrmContactEvent.contactUpdated,
      owner.orgId,
      { contactId: 'c-1', changes: { stage: { from: 'lead', to: 'client' }, email: { from: 'a@b.co', to: 'c@d.co' } } },
      { actortype: 'user', actorid: owner.userId, actorrole: 'owner', requestid: 'req-twice' },
    );
    await audit.publish('crm.events', [event]);
    await audit.publish('crm.events', [event]);
    // a later event of the same key (same partition) proves the duplicate was consumed before it
    const marker = testEvent(CrmContactEvent.contactDeleted, owner.orgId, { contactId: 'c-1' }, { subject: event.subject });
    await audit.publish('crm.events', [marker]);
    const entries = await waitForEntries(audit, owner, { recordId: event.subject }, (items) =>
      items.some((item) => item.eventId === marker.id),
    );
    expect(entries.map((entry) => entry.eventId)).toEqual([marker.id, event.id]);
    expect(entries[1]).toMatchObject({
      action: 'crm.contact.updated',
      target: { model: 'contact', id: event.subject },
      actor: { type: 'user', id: owner.userId, role: 'owner' },
      source: 'keyhouse/crm',
      requestId: 'req-twice',
      changes: { stage: { from: 'lead', to: 'client' }, email: { from: 'a***@b.co', to: 'c***@d.co' } },
    });
  });

  it('chains the events of every audited topic into one gapless chain per organization that verifies', async () => {
    const owner = newOwner();
    const seeded: Array<[string, CloudEvent]> = [
      ['identity.events', testEvent(IdentityEvent.loginSucceeded, owner.orgId, { userId: owner.userId!, method: 'password' })],
      ['listings.events', testEvent(ListingsEvent.propertyDeleted, owner.orgId, { propertyId: newId(), listingKey: 'L-1' })],
      [
        'deals.events',
        testEvent(DealsEvent.transactionDeleted, owner.orgId, { transactionId: newId(), buyerContactIds: [], sellerContactIds: [] }),
      ],
      ['crm.events', testEvent(CrmContactEvent.contactDeleted, owner.orgId, { contactId: newId() })],
    ];
    for (const [topic, event] of seeded) await audit.publish(topic, [event]);
    const entries = await waitForEntries(audit, owner, {}, (items) => items.length >= seeded.length);
    expect(entries.map((entry) => entry.eventId).sort()).toEqual(seeded.map(([, event]) => event.id).sort());
    const oldestFirst = [...entries].reverse();
    expect(oldestFirst.map((entry) => entry.seq)).toEqual([1, 2, 3, 4]);
    for (let i = 1; i < oldestFirst.length; i += 1) expect(oldestFirst[i].prevHash).toBe(oldestFirst[i - 1].hash);

    const verify = await audit.rpc.call(AuditSubjects.verify, {}, owner);
    expect(verify).toMatchObject({ ok: true, count: 4, headSeq: 4, headHash: entries[0].hash });
    expect(verify.brokenAt).toBeUndefined();
  });

  it('finds a row forged by a superuser with replication role (the exact entry)', async () => {
    const owner = newOwner();
    const events = [1, 2, 3].map(() => testEvent(CrmContactEvent.contactDeleted, owner.orgId, { contactId: newId() }));
    await audit.publish('crm.events', events);
    const entries = await waitForEntries(audit, owner, {}, (items) => items.length >= 3);
    const target = entries.find((entry) => entry.seq === 2) as AuditEntryView;
    const superuser = new Client({
      host: audit.env.PGHOST ?? '127.0.0.1',
      port: Number(audit.env.PGPORT ?? 5432),
      user: audit.env.PGUSER ?? 'postgres',
      password: audit.env.PGPASSWORD,
      database: audit.isolation.database,
    });
    await superuser.connect();
    try {
      await superuser.query(`SET session_replication_role = replica`);
      await superuser.query(`UPDATE audit.audit_entry SET actor_id = $2 WHERE id = $1`, [target.id, newId()]);
    } finally {
      await superuser.end();
    }
    const verify = await audit.rpc.call(AuditSubjects.verify, {}, owner);
    expect(verify).toMatchObject({ ok: false, count: 1, brokenAt: { seq: 2, id: target.id, reason: 'hash_mismatch' } });
  });

  it('refuses verify below org scope', async () => {
    const owner = newOwner();
    const lead = actorFor({ orgId: owner.orgId, role: 'audit-lead', permissions: ['audit:read:team'] });
    await expect(audit.rpc.call(AuditSubjects.verify, {}, lead)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
