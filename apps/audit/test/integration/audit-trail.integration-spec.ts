import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import {
  AuditSubjects,
  CrmContactEvent,
  DealsEvent,
  IdentityEvent,
  ListingsEvent,
  type Actor,
  type ApiKeyCreatedData,
  type AuditEntryView,
  type CloudEvent,
  type Page,
  type UserCreatedData,
} from '@keyhouse/contracts';
import { actorFor, testEvent } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { AuditArchiveJob } from '../../src/modules/archive/audit-archive.job';
import { AuditCheckpointJob } from '../../src/modules/checkpoint/audit-checkpoint.job';
import { AuditIngestConsumer } from '../../src/modules/ingest/audit-ingest.consumer';
import { entryHash, GENESIS_HASH, type HashedAuditEntry } from '../../src/modules/ledger/audit-hash.util';
import { AUDIT_ENTRY_COLUMNS, hashedOf, type AuditEntryRow } from '../../src/modules/logs/audit-entry.row';
import { AuditVerifyService } from '../../src/modules/logs/audit-verify.service';
import { waitForEntries } from '../support/audit-entries.util';
import {
  auditDatabase,
  auditOwner,
  countOf,
  startAuditService,
  type AuditDatabase,
  type AuditTestService,
} from '../support/audit-service.fixture';

const PASSWORD = 'correct horse battery staple';

/** `identity.login.succeeded` of `actor` (a user event keyed by the user). */
function loginOf(actor: Actor): CloudEvent {
  return testEvent(
    IdentityEvent.loginSucceeded,
    actor.orgId,
    { userId: actor.userId!, method: 'password' },
    { subject: actor.userId, actortype: 'user', actorid: actor.userId, actorrole: actor.role },
  );
}

/**
 * The audit trail on the audit service alone (no gateway, no identity), fed through Kafka and read
 * over NATS: what an entry holds of an event (actor, target, masked change set, ip and user agent,
 * details); each event recorded exactly once (redelivered, across a restart, from concurrent
 * producers); the trail's filters, its export record and the team scope fed by identity's team
 * events; retention archives, the append-only tables and tamper evidence (chain, checkpoints, the
 * signed external copy). The gateway's side (its refusals, the HTTP routes, real actions in every
 * service) is apps/gateway/test/integration/audit.
 */
describe('audit trail (audit service over Kafka and NATS)', () => {
  let audit: AuditTestService;
  let superuser: AuditDatabase;
  let auditRole: AuditDatabase;

  beforeAll(async () => {
    audit = await startAuditService();
    superuser = await auditDatabase(audit, 'superuser');
    auditRole = await auditDatabase(audit, 'audit');
  });

  afterAll(async () => {
    await auditRole?.end();
    await superuser?.end();
    await audit?.stop();
  });

  describe('recording', () => {
    const owner = auditOwner();
    const agentId = newId();
    const agentEmail = `agent-${agentId.slice(-8)}@example.test`;
    const as = { actortype: 'user' as const, actorid: owner.userId, actorrole: 'owner' };

    describe('identity events', () => {
      it('records a user creation with the acting owner and a masked change set, exactly once', async () => {
        // a password in the payload (which identity never sends) must not reach the trail either
        const data = {
          userId: agentId,
          email: agentEmail,
          name: 'Ava Agent',
          role: 'agent',
          status: 'active',
          teamIds: [],
          password: PASSWORD,
        };
        const event = testEvent(IdentityEvent.userCreated, owner.orgId, data as UserCreatedData, { ...as, subject: agentId });
        await audit.publish('identity.events', [event, event]);
        const [entry] = await waitForEntries(
          audit,
          owner,
          { action: 'identity.user.created', recordId: agentId },
          (items) => items.length > 0,
        );
        expect(entry.actor).toEqual({ type: 'user', id: owner.userId, role: 'owner' });
        expect(entry.target).toEqual({ model: 'user', id: agentId });
        expect(entry.source).toBe('keyhouse/identity');
        expect(entry.changes!.role).toEqual({ from: null, to: 'agent' });
        expect(entry.changes!.email).toEqual({ from: null, to: `${agentEmail[0]}***@example.test` });
        expect(JSON.stringify(entry)).not.toContain(agentEmail);
        expect(JSON.stringify(entry)).not.toContain(PASSWORD);
        expect(await countOf(superuser, `SELECT count(*) AS n FROM audit_entry WHERE event_id = $1`, [entry.eventId])).toBe(1);
      });

      it('records a role change as role from → to, by the owner, with its request id', async () => {
        await audit.publish('identity.events', [
          testEvent(
            IdentityEvent.userRoleChanged,
            owner.orgId,
            { userId: agentId, from: 'agent', to: 'manager' },
            {
              ...as,
              subject: agentId,
              requestid: 'req-role',
            },
          ),
        ]);
        const [entry] = await waitForEntries(
          audit,
          owner,
          { action: 'identity.user.role_changed', recordId: agentId },
          (items) => items.length === 1,
        );
        expect(entry.changes).toEqual({ role: { from: 'agent', to: 'manager' } });
        expect(entry.actor.id).toBe(owner.userId);
        expect(entry.requestId).toMatch(/.+/);
      });

      it('records a failed login with the reason, ip, user agent and a masked address, and API key creation and revocation without the key', async () => {
        const apiKeyId = newId();
        const rawKey = `kh_${newId().replace(/-/g, '')}`;
        await audit.publish('identity.events', [
          testEvent(
            IdentityEvent.loginFailed,
            owner.orgId,
            {
              userId: agentId,
              email: agentEmail,
              reason: 'bad_credentials',
              method: 'password',
              ip: '127.0.0.1',
              userAgent: 'audit-test/1',
            },
            { subject: agentId },
          ),
        ]);
        await audit.publish('identity.events', [
          // the raw key (which identity never sends) must not reach the trail either
          testEvent(
            IdentityEvent.apiKeyCreated,
            owner.orgId,
            { apiKeyId, name: 'Website', scopes: ['leads:write:org'], key: rawKey } as ApiKeyCreatedData,
            { ...as, subject: apiKeyId },
          ),
          testEvent(IdentityEvent.apiKeyRevoked, owner.orgId, { apiKeyId }, { ...as, subject: apiKeyId }),
        ]);
        const [login] = await waitForEntries(
          audit,
          owner,
          { action: 'identity.login.failed', recordId: agentId },
          (items) => items.length === 1,
        );
        expect(login.details).toMatchObject({ reason: 'bad_credentials', method: 'password', email: `${agentEmail[0]}***@example.test` });
        expect(login.userAgent).toBe('audit-test/1');
        expect(login.ip).toMatch(/127\.0\.0\.1/);
        const keys = await waitForEntries(
          audit,
          owner,
          { action: 'identity.api_key.*', recordId: apiKeyId },
          (items) => items.length === 2,
        );
        expect(keys.map((entry) => entry.action)).toEqual(['identity.api_key.revoked', 'identity.api_key.created']);
        expect(JSON.stringify(keys)).not.toContain(rawKey);
      });
    });

    describe('other topics, redelivery and restarts', () => {
      it('records a listings.events change with its actor, change set (control characters replaced) and details, once', async () => {
        const event = testEvent(
          ListingsEvent.propertyUpdated,
          owner.orgId,
          {
            propertyId: 'p-1',
            listingKey: 'KC-1',
            origin: 'manual',
            changes: { listPrice: { from: 650_000_00, to: 675_000_00 }, publicRemarks: { from: 'Sunny', to: 'Sunny\r\nand quiet' } },
          },
          { actortype: 'user', actorid: agentId, actorrole: 'agent', requestid: 'req-listing' },
        );
        await audit.publish('listings.events', [event, event]);
        const [entry] = await waitForEntries(
          audit,
          owner,
          { action: 'listings.property.updated', recordId: event.subject },
          (items) => items.length > 0,
        );
        expect(entry).toMatchObject({
          target: { model: 'property', id: event.subject },
          actor: { type: 'user', id: agentId, role: 'agent' },
          source: 'keyhouse/listings',
          changes: { listPrice: { from: 650_000_00, to: 675_000_00 }, publicRemarks: { from: 'Sunny', to: 'Sunny\uFFFD\uFFFDand quiet' } },
          details: { propertyId: 'p-1', listingKey: 'KC-1', origin: 'manual' },
        });
        expect(await countOf(superuser, `SELECT count(*) AS n FROM audit_entry WHERE event_id = $1`, [event.id])).toBe(1);
      });

      it('records every event of a burst exactly once across a restart of the service (deals.events)', async () => {
        const burst = Array.from({ length: 150 }, (_, i) =>
          testEvent(
            DealsEvent.transactionStageChanged,
            owner.orgId,
            {
              transactionId: `burst-${i}`,
              pipelineId: 'default',
              from: 'offer',
              to: `stage-${i}`,
              outcome: 'open',
              agentId,
              closePrice: null,
              closeDate: null,
              buyerContactIds: [],
              sellerContactIds: [],
            },
            { subject: `burst-${i}` },
          ),
        );
        const sending = audit.publish('deals.events', burst);
        await new Promise((resolve) => setTimeout(resolve, 150));
        await audit.down();
        await sending;
        // redeliver a third of the burst, as a relay that crashed before marking would
        await audit.publish('deals.events', burst.slice(0, 50));
        await audit.up();
        const ids = burst.map((event) => event.id);
        const started = Date.now();
        while ((await countOf(superuser, `SELECT count(*) AS n FROM audit_entry WHERE event_id = ANY($1)`, [ids])) < burst.length) {
          if (Date.now() - started > 30_000) throw new Error('burst not recorded in time');
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(await countOf(superuser, `SELECT count(*) AS n FROM audit_entry WHERE event_id = ANY($1)`, [ids])).toBe(150);
        expect(await countOf(superuser, `SELECT count(DISTINCT event_id) AS n FROM audit_entry WHERE event_id = ANY($1)`, [ids])).toBe(150);
        expect(await audit.rpc.call(AuditSubjects.verify, {}, owner)).toMatchObject({ ok: true });
      });
    });

    describe('concurrent producers (SEC-AL-01, scaled down)', () => {
      it('appends 8 producers × 500 events over 2 organizations (4 through Kafka, 4 writing directly) as gapless, unforked, verifiable chains', async () => {
        const orgs = [auditOwner(), auditOwner()];
        const producers = Array.from({ length: 8 }, (_, p) =>
          Array.from({ length: 500 }, (_, i) =>
            testEvent(
              CrmContactEvent.contactUpdated,
              orgs[(p + i) % 2].orgId,
              { contactId: `c-${p}-${i % 20}`, changes: { stage: { from: 'lead', to: `stage-${p}-${i}` } } },
              { subject: `c-${p}-${i % 20}` },
            ),
          ),
        );
        const ingest = audit.app.get(AuditIngestConsumer);
        const chunks = <T>(items: T[], size: number) =>
          Array.from({ length: Math.ceil(items.length / size) }, (_, k) => items.slice(k * size, (k + 1) * size));
        await Promise.all(
          producers.map(async (events, p) => {
            for (const chunk of chunks(events, p < 4 ? 50 : 25)) {
              if (p < 4) await audit.publish('crm.events', chunk);
              else await ingest.recordBatch(chunk);
            }
          }),
        );
        const ids = producers.flat().map((event) => event.id);
        const started = Date.now();
        while ((await countOf(superuser, `SELECT count(*) AS n FROM audit_entry WHERE event_id = ANY($1)`, [ids])) < ids.length) {
          if (Date.now() - started > 60_000) throw new Error('concurrent events not recorded in time');
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        for (const org of orgs) {
          const [chain] = await superuser.query<{ n: number; head: number; seqs: number; prevs: number; produced: number }>(
            `SELECT count(*)::int AS n, max(seq)::int AS head, count(DISTINCT seq)::int AS seqs, count(DISTINCT prev_hash)::int AS prevs,
                    count(*) FILTER (WHERE event_id = ANY($2))::int AS produced
               FROM audit_entry WHERE org_id = $1`,
            [org.orgId, ids],
          );
          expect(chain.produced).toBe(2000);
          expect(chain).toEqual({ n: chain.head, head: chain.head, seqs: chain.head, prevs: chain.head, produced: 2000 });
          const verify = await audit.rpc.call(AuditSubjects.verify, {}, org);
          expect(verify).toMatchObject({ ok: true, count: chain.head, headSeq: chain.head });
        }
      });
    });
  });

  describe('queries', () => {
    const owner = auditOwner();
    const other = auditOwner();
    const agent = actorFor({ orgId: owner.orgId, role: 'agent', permissions: ['contacts:read:own'] });
    const apiKeyId = newId();
    const by = (actor: Actor) => ({ actortype: 'user' as const, actorid: actor.userId, actorrole: actor.role });

    beforeAll(async () => {
      // Owner's organization: what identity records of a registration, a new agent, a role change and back, logins, an API key.
      await audit.publish('identity.events', [
        testEvent(
          IdentityEvent.organizationCreated,
          owner.orgId,
          { organizationId: owner.orgId, name: 'Audit Realty' },
          { subject: owner.orgId },
        ),
        testEvent(
          IdentityEvent.userCreated,
          owner.orgId,
          { userId: owner.userId!, email: 'owner@example.test', name: 'Dana Owner', role: 'owner', status: 'active', teamIds: [] },
          { subject: owner.userId },
        ),
        loginOf(owner),
        testEvent(
          IdentityEvent.userCreated,
          owner.orgId,
          { userId: agent.userId!, email: 'agent@example.test', name: 'Ava Agent', role: 'agent', status: 'active', teamIds: [] },
          { ...by(owner), subject: agent.userId },
        ),
        loginOf(agent),
        testEvent(
          IdentityEvent.userRoleChanged,
          owner.orgId,
          { userId: agent.userId!, from: 'agent', to: 'manager' },
          { ...by(owner), subject: agent.userId },
        ),
        testEvent(
          IdentityEvent.userRoleChanged,
          owner.orgId,
          { userId: agent.userId!, from: 'manager', to: 'agent' },
          { ...by(owner), subject: agent.userId },
        ),
        loginOf(agent),
        testEvent(
          IdentityEvent.apiKeyCreated,
          owner.orgId,
          { apiKeyId, name: 'Website', scopes: ['leads:write:org'] },
          { ...by(owner), subject: apiKeyId },
        ),
        testEvent(IdentityEvent.apiKeyRevoked, owner.orgId, { apiKeyId }, { ...by(owner), subject: apiKeyId }),
        testEvent(
          IdentityEvent.organizationCreated,
          other.orgId,
          { organizationId: other.orgId, name: 'Other Realty' },
          { subject: other.orgId },
        ),
        loginOf(other),
      ]);
      await waitForEntries(audit, owner, {}, (items) => items.length >= 10);
      await waitForEntries(audit, other, {}, (items) => items.length >= 2);
    });

    it('shows an organization only its own entries, also by record id (cross-organization isolation)', async () => {
      const mine = await audit.rpc.call(AuditSubjects.list, { limit: 100 }, other);
      expect(mine.items.length).toBeGreaterThan(0);
      expect(mine.items.every((entry) => entry.actor.id === other.userId || entry.actor.id === null)).toBe(true);
      const foreign = await audit.rpc.call(AuditSubjects.list, { recordId: agent.userId }, other);
      expect(foreign.items).toEqual([]);
    });

    it('filters by user, action, action prefix, model, record id, dates, and pages by cursor', async () => {
      const list = async (query: Parameters<typeof waitForEntries>[2]) => (await audit.rpc.call(AuditSubjects.list, query, owner)).items;
      const all = await waitForEntries(audit, owner, {}, (items) => items.length >= 10);
      const byUser = await list({ user: owner.userId, limit: 100 });
      expect(byUser.length).toBeGreaterThan(0);
      expect(byUser.every((entry) => entry.actor.id === owner.userId)).toBe(true);
      const byPrefix = await list({ action: 'identity.user.*', limit: 100 });
      expect(new Set(byPrefix.map((entry) => entry.action))).toEqual(new Set(['identity.user.created', 'identity.user.role_changed']));
      const byModel = await list({ model: 'api_key' });
      expect(byModel.map((entry) => entry.action).sort()).toEqual(['identity.api_key.created', 'identity.api_key.revoked']);
      const byRecord = await list({ recordId: agent.userId, action: 'identity.user.role_changed' });
      expect(byRecord.map((entry) => entry.changes)).toEqual([
        { role: { from: 'manager', to: 'agent' } },
        { role: { from: 'agent', to: 'manager' } },
      ]);
      expect(await list({ from: new Date(Date.now() + 3_600_000).toISOString() })).toEqual([]);
      expect(await list({ to: '2020-01-01T00:00:00.000Z' })).toEqual([]);
      expect((await list({ date: new Date().toISOString().slice(0, 10), limit: 100 })).length).toBeGreaterThan(0);

      const seen: AuditEntryView[] = [];
      let cursor: string | null = null;
      do {
        const page: Page<AuditEntryView> = await audit.rpc.call(AuditSubjects.list, { limit: 7, ...(cursor ? { cursor } : {}) }, owner);
        seen.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      const seqs = seen.map((entry) => entry.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(seqs.length).toBeGreaterThanOrEqual(all.length);
      await expect(audit.rpc.call(AuditSubjects.list, { cursor: 'garbage' }, owner)).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    });

    it('answers an export page and records the export with its filters (audit.log.exported)', async () => {
      const page = await audit.rpc.call(AuditSubjects.exportPage, { action: 'identity.api_key.*', limit: 500 }, owner);
      expect(page.items.map((entry) => entry.action)).toEqual(['identity.api_key.revoked', 'identity.api_key.created']);
      const [exported] = await waitForEntries(audit, owner, { action: 'audit.log.exported' }, (items) => items.length === 1);
      expect(exported.details).toEqual({ filters: { action: 'identity.api_key.*' } });
      await expect(audit.rpc.call(AuditSubjects.exportPage, {}, agent)).rejects.toMatchObject({ kind: 'forbidden' });
    });

    it("lets a team-scoped manager read their team's entries once the organization allows it; membership follows identity's team events", async () => {
      const org = auditOwner();
      const teamId = newId();
      const lead = actorFor({ orgId: org.orgId, role: 'audit-lead', permissions: ['audit:read:team'], teamIds: [teamId] });
      const member = actorFor({ orgId: org.orgId, role: 'agent', permissions: [], teamIds: [teamId] });
      const outsider = actorFor({ orgId: org.orgId, role: 'agent', permissions: [] });
      const joiner = actorFor({ orgId: org.orgId, role: 'agent', permissions: [] });
      await audit.publish('identity.events', [
        testEvent(
          IdentityEvent.teamCreated,
          org.orgId,
          { teamId, name: 'North', managerId: lead.userId!, memberIds: [member.userId!] },
          {
            ...by(org),
            subject: teamId,
          },
        ),
        loginOf(org),
        loginOf(member),
        loginOf(outsider),
        loginOf(joiner),
      ]);
      await waitForEntries(audit, org, { action: 'identity.login.succeeded' }, (items) => items.length === 4);
      await expect(audit.rpc.call(AuditSubjects.list, {}, lead)).rejects.toMatchObject({
        kind: 'forbidden',
        code: 'AUDIT_TEAM_READ_DISABLED',
      });
      expect(await audit.rpc.call(AuditSubjects.settingsUpdate, { managersMayRead: true }, org)).toEqual({
        managersMayRead: true,
        retentionDays: null,
      });
      const visible = await waitForEntries(audit, lead, { action: 'identity.login.succeeded' }, (items) =>
        items.some((entry) => entry.actor.id === member.userId),
      );
      const actors = new Set(visible.map((entry) => entry.actor.id));
      expect(actors.has(org.userId!)).toBe(false);
      expect(actors.has(outsider.userId!)).toBe(false);
      await expect(audit.rpc.call(AuditSubjects.verify, {}, lead)).rejects.toMatchObject({ kind: 'forbidden' });
      const [setting] = await waitForEntries(audit, org, { action: 'audit.settings.updated' }, (items) => items.length === 1);
      expect(setting.changes).toEqual({ managersMayRead: { from: false, to: true } });

      // added to the team (identity.team.updated) → visible; team deleted (identity.team.deleted) → membership gone
      expect((await audit.rpc.call(AuditSubjects.list, { user: joiner.userId }, lead)).items).toEqual([]);
      await audit.publish('identity.events', [
        testEvent(
          IdentityEvent.teamUpdated,
          org.orgId,
          { teamId, changes: { memberIds: { from: [member.userId], to: [member.userId, joiner.userId].sort() } } },
          { ...by(org), subject: teamId },
        ),
      ]);
      await waitForEntries(audit, lead, { user: joiner.userId, action: 'identity.login.succeeded' }, (items) => items.length === 1);
      await audit.publish('identity.events', [
        testEvent(IdentityEvent.teamDeleted, org.orgId, { teamId, name: 'North' }, { ...by(org), subject: teamId }),
      ]);
      const started = Date.now();
      while ((await countOf(superuser, `SELECT count(*) AS n FROM audit_org_member WHERE $1 = ANY(team_ids)`, [teamId])) > 0) {
        if (Date.now() - started > 20_000) throw new Error('team deletion not applied to audit_org_member');
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    });
  });

  describe('integrity', () => {
    const owner = auditOwner();
    const other = auditOwner();
    const agent = actorFor({ orgId: owner.orgId, role: 'agent', permissions: ['contacts:read:own'] });

    /** `count` more logins of the organization's owner, recorded: resolves with the entries, newest first. */
    async function logins(org: Actor, count: number) {
      const before = (await audit.rpc.call(AuditSubjects.list, { limit: 100 }, org)).items.length;
      await audit.publish(
        'identity.events',
        Array.from({ length: count }, () =>
          testEvent(
            IdentityEvent.loginSucceeded,
            org.orgId,
            { userId: org.userId!, method: 'password' },
            { subject: org.userId, actortype: 'user', actorid: org.userId, actorrole: org.role },
          ),
        ),
      );
      return waitForEntries(audit, org, {}, (items) => items.length >= before + count);
    }

    /** Runs `change` as the superuser with the user triggers of `tables` (the append-only guards) disabled. */
    async function withoutTriggers(tables: string[], change: () => Promise<void>): Promise<void> {
      for (const table of tables) await superuser.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
      try {
        await change();
      } finally {
        for (const table of tables) await superuser.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
      }
    }

    beforeAll(async () => {
      await logins(owner, 3);
      await logins(other, 2);
    });

    describe('retention', () => {
      it('archives entries past the retention with the chain checkpoint, verifiable offline, and deletes nothing', async () => {
        const org = auditOwner();
        await logins(org, 2);
        const set = await audit.rpc.call(AuditSubjects.settingsUpdate, { retentionDays: 30 }, org);
        expect(set).toEqual({ managersMayRead: false, retentionDays: 30 });
        const rowsBefore = await countOf(superuser, `SELECT count(*) AS n FROM audit_entry WHERE org_id = $1`, [org.orgId]);
        const job = audit.app.get(AuditArchiveJob);
        const later = new Date(Date.now() + 31 * 86_400_000);
        expect(await job.archive(new Date())).not.toContainEqual(expect.objectContaining({ orgId: org.orgId }));
        const [archive] = (await job.archive(later)).filter((result) => result.orgId === org.orgId);
        expect(archive).toMatchObject({ fromSeq: 1, count: rowsBefore, toSeq: rowsBefore, prevHash: GENESIS_HASH });

        const text = readFileSync(archive.location, 'utf8');
        expect(createHash('sha256').update(text).digest('hex')).toBe(archive.fileSha256);
        const [header, ...lines] = text
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Record<string, unknown>);
        expect(header).toMatchObject({
          kind: 'keyhouse.audit.archive',
          orgId: org.orgId,
          fromSeq: 1,
          toSeq: rowsBefore,
          prevHash: GENESIS_HASH,
        });
        let previous = GENESIS_HASH;
        for (const line of lines) {
          const { hash, ...entry } = line as unknown as HashedAuditEntry & { hash: string };
          expect(entry.prevHash).toBe(previous);
          expect(entryHash(entry)).toBe(hash);
          previous = hash;
        }
        expect(header.checkpoint).toEqual({ seq: rowsBefore, hash: previous });

        expect(
          await countOf(superuser, `SELECT count(*) AS n FROM audit_entry WHERE org_id = $1 AND seq <= $2`, [org.orgId, rowsBefore]),
        ).toBe(rowsBefore);
        const [recorded] = await waitForEntries(audit, org, { action: 'audit.log.archived' }, (items) => items.length === 1);
        expect(recorded.details).toMatchObject({ fromSeq: 1, toSeq: rowsBefore, count: rowsBefore, fileSha256: archive.fileSha256 });
        const archives = await audit.rpc.call(AuditSubjects.archivesList, {}, org);
        expect(archives.items).toEqual([
          expect.objectContaining({
            id: archive.archiveId,
            fromSeq: 1,
            toSeq: rowsBefore,
            entryCount: rowsBefore,
            headHash: previous,
            fileSha256: archive.fileSha256,
            file: `1-${rowsBefore}.jsonl`,
          }),
        ]);
        expect((await audit.rpc.call(AuditSubjects.archivesList, {}, owner)).items).toEqual([]);
        await expect(audit.rpc.call(AuditSubjects.archivesList, {}, agent)).rejects.toMatchObject({ kind: 'forbidden' });

        const [next] = (await job.archive(later)).filter((result) => result.orgId === org.orgId);
        expect(next.fromSeq).toBe(rowsBefore + 1);
        expect(next.prevHash).toBe(previous);
        expect(await audit.rpc.call(AuditSubjects.verify, {}, org)).toMatchObject({ ok: true });
      });
    });

    describe('tamper evidence', () => {
      it('refuses UPDATE, DELETE and TRUNCATE to the audit role and to the superuser', async () => {
        await audit.app.get(AuditCheckpointJob).checkpoint();
        expect(await countOf(superuser, `SELECT count(*) AS n FROM audit_checkpoint WHERE org_id = $1`, [owner.orgId])).toBeGreaterThan(0);
        for (const db of [auditRole, superuser]) {
          await expect(db.query(`UPDATE audit_entry SET action = 'x' WHERE org_id = $1`, [owner.orgId])).rejects.toThrow(
            /permission denied|append-only/,
          );
          await expect(db.query(`DELETE FROM audit_entry WHERE org_id = $1`, [owner.orgId])).rejects.toThrow(
            /permission denied|append-only/,
          );
          await expect(db.query(`TRUNCATE audit_entry`)).rejects.toThrow(/permission denied|append-only/);
          await expect(db.query(`DELETE FROM audit_checkpoint WHERE org_id = $1`, [owner.orgId])).rejects.toThrow(
            /permission denied|append-only/,
          );
        }
        await expect(auditRole.query(`UPDATE audit_entry SET action = 'x' WHERE org_id = $1`, [owner.orgId])).rejects.toThrow(
          /permission denied for table audit_entry/,
        );
        await expect(superuser.query(`UPDATE audit_entry SET action = 'x' WHERE org_id = $1`, [owner.orgId])).rejects.toThrow(
          /append-only/,
        );
      });

      it('gives the runtime role no way to lift the protection: it owns nothing, cannot disable the trigger, grant itself UPDATE, or become the owner', async () => {
        const [owners] = await superuser.query<{ runtime: string; owner: string }>(
          `SELECT count(*) FILTER (WHERE tableowner = 'keyhouse_audit') AS runtime, count(*) FILTER (WHERE tableowner = 'keyhouse_audit_owner') AS owner
             FROM pg_tables WHERE schemaname = 'audit'`,
        );
        expect(Number(owners.runtime)).toBe(0);
        expect(Number(owners.owner)).toBeGreaterThanOrEqual(5);
        await expect(auditRole.query(`ALTER TABLE audit_entry DISABLE TRIGGER USER`)).rejects.toThrow(/must be owner of table audit_entry/);
        // without the grant option Postgres only warns "no privileges were granted": nothing changes
        await auditRole.query(`GRANT UPDATE, DELETE ON audit_entry TO keyhouse_audit`).catch(() => undefined);
        const [rights] = await superuser.query<Record<string, boolean>>(
          `SELECT has_table_privilege('keyhouse_audit', 'audit.audit_entry', 'UPDATE') AS can_update,
                  has_table_privilege('keyhouse_audit', 'audit.audit_entry', 'DELETE') AS can_delete,
                  has_table_privilege('keyhouse_audit', 'audit.audit_entry', 'INSERT') AS can_insert`,
        );
        expect(rights).toEqual({ can_update: false, can_delete: false, can_insert: true });
        await expect(auditRole.query(`UPDATE audit_entry SET action = 'x' WHERE org_id = $1`, [owner.orgId])).rejects.toThrow(
          /permission denied for table audit_entry/,
        );
        await expect(auditRole.query(`DELETE FROM audit_checkpoint`)).rejects.toThrow(/permission denied for table audit_checkpoint/);
        await expect(auditRole.query(`SET ROLE keyhouse_audit_owner`)).rejects.toThrow(/permission denied to set role/);
        await expect(auditRole.query(`DROP TABLE audit_entry`)).rejects.toThrow(/must be owner of table audit_entry/);
        await expect(auditRole.query(`CREATE TABLE audit_shadow (id int)`)).rejects.toThrow(/permission denied for schema audit/);
      });

      it('verify reports ok with the count and head hash of an intact chain', async () => {
        const verify = await audit.rpc.call(AuditSubjects.verify, {}, other);
        const newest = (await audit.rpc.call(AuditSubjects.list, { limit: 1 }, other)).items[0];
        expect(verify).toMatchObject({ ok: true, count: newest.seq, headSeq: newest.seq, headHash: newest.hash });
        expect(verify.brokenAt).toBeUndefined();
      });

      it('finds a deleted middle row and a truncated tail (checkpoint beyond the head) after DISABLE TRIGGER', async () => {
        const victim = auditOwner();
        const entries = await logins(victim, 4);
        const head = entries[0].seq;
        await audit.app.get(AuditCheckpointJob).checkpoint();
        const [checkpoint] = await superuser.query<{ seq: string; hash: string }>(
          `SELECT seq, hash FROM audit_checkpoint WHERE org_id = $1 ORDER BY seq DESC LIMIT 1`,
          [victim.orgId],
        );
        expect({ seq: Number(checkpoint.seq), hash: checkpoint.hash }).toEqual({ seq: head, hash: entries[0].hash });
        const checkpointed = await audit.rpc.call(AuditSubjects.verify, {}, victim);
        expect(checkpointed).toMatchObject({ ok: true, headSeq: head });
        expect(checkpointed.checkpointsChecked).toBeGreaterThanOrEqual(1);

        await withoutTriggers(['audit_entry'], async () => {
          await superuser.query(`DELETE FROM audit_entry WHERE org_id = $1 AND seq = $2`, [victim.orgId, head]);
        });
        const truncated = await audit.rpc.call(AuditSubjects.verify, {}, victim);
        expect(truncated).toMatchObject({ ok: false, brokenAt: { seq: head, id: null, reason: 'checkpoint_beyond_head' } });

        await withoutTriggers(['audit_entry'], async () => {
          await superuser.query(`DELETE FROM audit_entry WHERE org_id = $1 AND seq = 2`, [victim.orgId]);
        });
        const gap = await audit.rpc.call(AuditSubjects.verify, {}, victim);
        expect(gap).toMatchObject({ ok: false, count: 1, brokenAt: { seq: 2, reason: 'seq_gap' } });
      });

      it('finds two swapped rows at the first of them, and a forged row inserted mid-chain (later rows shifted) at the first shifted row (SEC-AL-02)', async () => {
        const victims = [auditOwner(), auditOwner()];
        for (const victim of victims) await logins(victim, 4);
        const [swapped, inserted] = victims;
        await withoutTriggers(['audit_entry'], async () => {
          // swap seq 2 and 3 (through a free seq, UNIQUE (org_id, seq))
          await superuser.query(`UPDATE audit_entry SET seq = 1000002 WHERE org_id = $1 AND seq = 2`, [swapped.orgId]);
          await superuser.query(`UPDATE audit_entry SET seq = 2 WHERE org_id = $1 AND seq = 3`, [swapped.orgId]);
          await superuser.query(`UPDATE audit_entry SET seq = 3 WHERE org_id = $1 AND seq = 1000002`, [swapped.orgId]);
          // shift seq ≥ 3 up by one and insert a well-hashed forged row at seq 3, chained to seq 2
          await superuser.query(`UPDATE audit_entry SET seq = seq + 1000000 WHERE org_id = $1 AND seq >= 3`, [inserted.orgId]);
          await superuser.query(`UPDATE audit_entry SET seq = seq - 999999 WHERE org_id = $1 AND seq > 1000000`, [inserted.orgId]);
          const [second] = await superuser.query<AuditEntryRow>(
            `SELECT ${AUDIT_ENTRY_COLUMNS} FROM audit_entry e WHERE e.org_id = $1 AND e.seq = 2`,
            [inserted.orgId],
          );
          const forged: HashedAuditEntry = {
            ...hashedOf(second),
            id: newId(),
            seq: 3,
            eventId: newId(),
            action: 'identity.user.deleted',
            prevHash: second.hash,
          };
          await superuser.query(
            `INSERT INTO audit_entry (id, org_id, seq, event_id, action, actor_type, actor_id, actor_role, target_model, target_id, occurred_at, recorded_at, source, prev_hash, hash)
             VALUES ($1, $2, 3, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
            [
              forged.id,
              inserted.orgId,
              forged.eventId,
              forged.action,
              forged.actor.type,
              forged.actor.id,
              forged.actor.role,
              forged.target.model,
              forged.target.id,
              forged.occurredAt,
              forged.recordedAt,
              forged.source,
              forged.prevHash,
              entryHash({ ...forged, requestId: null, ip: null, userAgent: null, changes: null, details: null }),
            ],
          );
        });
        const swappedVerify = await audit.rpc.call(AuditSubjects.verify, {}, swapped);
        expect(swappedVerify).toMatchObject({ ok: false, count: 1, brokenAt: { seq: 2, reason: 'hash_mismatch' } });
        // the forged row itself is well formed; the chain breaks at the first original row it displaced
        const insertedVerify = await audit.rpc.call(AuditSubjects.verify, {}, inserted);
        expect(insertedVerify).toMatchObject({ ok: false, count: 3, brokenAt: { seq: 4, reason: 'hash_mismatch' } });
      });

      it('detects the whole chain rewritten and rehashed after seq k with the database checkpoints deleted, through the signed external copy (SEC-AL-03)', async () => {
        const victim = auditOwner();
        await logins(victim, 3);
        await audit.app.get(AuditCheckpointJob).checkpoint();
        const [{ seq: checkpointSeq }] = await superuser.query<{ seq: number }>(
          `SELECT max(seq)::int AS seq FROM audit_checkpoint WHERE org_id = $1`,
          [victim.orgId],
        );
        await logins(victim, 1);
        await waitForEntries(audit, victim, {}, (items) => items[0]?.seq > checkpointSeq);
        // anyone can check a checkpoint with the published public key alone (SEC-AL-06)
        const listed = await audit.rpc.call(AuditSubjects.checkpointsList, {}, victim);
        const [signed] = listed.items;
        expect(signed).toMatchObject({ orgId: victim.orgId, seq: checkpointSeq, keyId: 'dev-1' });
        const publicKey = createPublicKey({
          key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(listed.publicKeys[signed.keyId!], 'base64')]),
          format: 'der',
          type: 'spki',
        });
        const text = `keyhouse.audit.checkpoint/v1\n${victim.orgId}\n${signed.seq}\n${signed.hash}\n${signed.createdAt}\n`;
        expect(verifySignature(null, Buffer.from(text), publicKey, Buffer.from(signed.signature!, 'base64'))).toBe(true);
        expect(
          verifySignature(
            null,
            Buffer.from(text.replace(signed.hash, '0'.repeat(64))),
            publicKey,
            Buffer.from(signed.signature!, 'base64'),
          ),
        ).toBe(false);
        expect((await audit.rpc.call(AuditSubjects.checkpointsList, {}, other)).items.every((item) => item.orgId === other.orgId)).toBe(
          true,
        );
        await expect(audit.rpc.call(AuditSubjects.checkpointsList, {}, agent)).rejects.toMatchObject({ kind: 'forbidden' });

        const file = path.join(audit.archiveDir, victim.orgId, 'checkpoints.jsonl');
        const [external] = readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Record<string, unknown>);
        expect(external).toMatchObject({
          orgId: victim.orgId,
          seq: checkpointSeq,
          keyId: 'dev-1',
          signature: expect.stringMatching(/^[A-Za-z0-9+/]{86}==$/),
        });

        // the attack: as superuser, delete the checkpoints and rewrite every entry after seq 1 with a forged actor, rehashing the chain
        const forgedActor = newId();
        await withoutTriggers(['audit_entry', 'audit_checkpoint'], async () => {
          await superuser.query(`DELETE FROM audit_checkpoint WHERE org_id = $1`, [victim.orgId]);
          const rows = await superuser.query<AuditEntryRow>(
            `SELECT ${AUDIT_ENTRY_COLUMNS} FROM audit_entry e WHERE e.org_id = $1 ORDER BY e.seq`,
            [victim.orgId],
          );
          let previous = rows[0].hash;
          for (const row of rows.slice(1)) {
            const forged = { ...hashedOf(row), actor: { ...hashedOf(row).actor, id: forgedActor }, prevHash: previous };
            previous = entryHash(forged);
            await superuser.query(`UPDATE audit_entry SET actor_id = $2, prev_hash = $3, hash = $4 WHERE id = $1`, [
              row.id,
              forgedActor,
              forged.prevHash,
              previous,
            ]);
          }
        });
        // the database alone is now self-consistent…
        const databaseOnly = await new AuditVerifyService(audit.app.get(DataSource)).verifyChain(victim.orgId);
        expect(databaseOnly).toMatchObject({ ok: true, checkpointsChecked: 0 });
        // …but not with the signed copy outside it
        const verify = await audit.rpc.call(AuditSubjects.verify, {}, victim);
        expect(verify).toMatchObject({
          ok: false,
          count: checkpointSeq - 1,
          externalCheckpoints: 1,
          brokenAt: { seq: checkpointSeq, reason: 'checkpoint_mismatch' },
        });

        // a checkpoint line forged into the external copy without the private key is refused
        appendFileSync(file, `${JSON.stringify({ ...external, seq: 1, hash: 'f'.repeat(64) })}\n`);
        const forgedLine = await audit.rpc.call(AuditSubjects.verify, {}, victim);
        expect(forgedLine).toMatchObject({ ok: false, brokenAt: { seq: 1, reason: 'checkpoint_signature_invalid' } });
      });
    });
  });
});
