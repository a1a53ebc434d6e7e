import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { AUDIT_NIL_ORG, type AuditCheckpointPage, type AuditEntryView, type AuditVerifyResponse } from '@keyhouse/contracts';
import { newId } from '@keyhouse/util';
import { AuditArchiveJob } from '../../../../audit/src/modules/archive/audit-archive.job';
import { AuditCheckpointJob } from '../../../../audit/src/modules/checkpoint/audit-checkpoint.job';
import { AuditIngestConsumer } from '../../../../audit/src/modules/ingest/audit-ingest.consumer';
import { entryHash, GENESIS_HASH, type HashedAuditEntry } from '../../../../audit/src/modules/ledger/audit-hash.util';
import { AUDIT_ENTRY_COLUMNS, hashedOf, type AuditEntryRow } from '../../../../audit/src/modules/logs/audit-entry.row';
import { AuditVerifyService } from '../../../../audit/src/modules/logs/audit-verify.service';
import { auditDatabase, auditLogs, publishEvents, testEvent, waitForAudit } from '../../support/audit-fixtures';
import { createUser, login, PASSWORD, registerOrganization, type Session } from '../../support/fixtures';
import { startStack, type TestStack } from '../../support/stack';

/** Scalar count of a query run as the superuser. */
async function count(db: DataSource, sql: string, params: unknown[]): Promise<number> {
  const [row] = (await db.query(sql, params)) as Array<{ n: number }>;
  return Number(row.n);
}

describe('Audit trail (identity events, other topics, gateway refusals)', () => {
  let stack: TestStack;
  let superuser: DataSource;
  let auditRole: DataSource;
  let owner: Session;
  let agent: Session;
  let other: Session;
  const archiveDir = mkdtempSync(path.join(tmpdir(), 'kh-audit-archive-'));

  beforeAll(async () => {
    stack = await startStack({ AUDIT_ARCHIVE_DIR: archiveDir }, { services: ['audit'] });
    superuser = await auditDatabase(stack, 'superuser');
    auditRole = await auditDatabase(stack, 'audit');
    owner = await registerOrganization(stack.http, 'Audit Realty');
    other = await registerOrganization(stack.http, 'Other Realty');
    agent = await createUser(stack.http, owner, 'agent');
  });

  afterAll(async () => {
    await auditRole?.destroy();
    await superuser?.destroy();
    await stack?.stop();
    rmSync(archiveDir, { recursive: true, force: true });
  });

  describe('identity actions', () => {
    it('records a user creation with the acting owner and a masked change set, exactly once', async () => {
      const [entry] = await waitForAudit(
        stack.http,
        owner.accessToken,
        { action: 'identity.user.created', recordId: agent.userId },
        (items) => items.length > 0,
      );
      expect(entry.actor).toEqual({ type: 'user', id: owner.userId, role: 'owner' });
      expect(entry.target).toEqual({ model: 'user', id: agent.userId });
      expect(entry.source).toBe('keyhouse/identity');
      expect(entry.changes!.role).toEqual({ from: null, to: 'agent' });
      expect(entry.changes!.email).toEqual({ from: null, to: `${agent.email[0]}***@example.test` });
      expect(JSON.stringify(entry)).not.toContain(agent.email);
      expect(JSON.stringify(entry)).not.toContain(PASSWORD);
      expect(await count(superuser, `SELECT count(*) AS n FROM audit_entry WHERE event_id = $1`, [entry.eventId])).toBe(1);
    });

    it('records a role change as role from → to, by the owner', async () => {
      const changed = await stack.http.patch(`/v1/users/${agent.userId}`, { role: 'manager' }, { token: owner.accessToken });
      expect(changed.status).toBe(200);
      const [entry] = await waitForAudit(
        stack.http,
        owner.accessToken,
        { action: 'identity.user.role_changed', recordId: agent.userId },
        (items) => items.length === 1,
      );
      expect(entry.changes).toEqual({ role: { from: 'agent', to: 'manager' } });
      expect(entry.actor.id).toBe(owner.userId);
      expect(entry.requestId).toMatch(/.+/);
      await stack.http.patch(`/v1/users/${agent.userId}`, { role: 'agent' }, { token: owner.accessToken });
      agent = await login(stack.http, agent.email);
    });

    it('records a failed login with the reason, ip and a masked address, and API key creation and revocation', async () => {
      const failed = await stack.http.post(
        '/v1/auth/login',
        { email: agent.email, password: 'wrong password entirely' },
        { headers: { 'user-agent': 'audit-test/1' } },
      );
      expect(failed.status).toBe(401);
      const created = await stack.http.post<{ id: string; key: string }>(
        '/v1/api-keys',
        { name: 'Website', scopes: ['leads:write:org'] },
        { token: owner.accessToken },
      );
      expect(created.status).toBe(201);
      expect((await stack.http.delete(`/v1/api-keys/${created.body.id}`, { token: owner.accessToken })).status).toBeLessThan(300);

      const [login] = await waitForAudit(
        stack.http,
        owner.accessToken,
        { action: 'identity.login.failed', recordId: agent.userId },
        (items) => items.length === 1,
      );
      expect(login.details).toMatchObject({ reason: 'bad_credentials', method: 'password', email: `${agent.email[0]}***@example.test` });
      expect(login.userAgent).toBe('audit-test/1');
      expect(login.ip).toMatch(/127\.0\.0\.1/);
      const keys = await waitForAudit(
        stack.http,
        owner.accessToken,
        { action: 'identity.api_key.*', recordId: created.body.id },
        (items) => items.length === 2,
      );
      expect(keys.map((entry) => entry.action)).toEqual(['identity.api_key.revoked', 'identity.api_key.created']);
      expect(JSON.stringify(keys)).not.toContain(created.body.key);
    });
  });

  describe('redelivery and restarts', () => {
    it('records an event delivered twice (crm.events) once, with its change set', async () => {
      const event = testEvent(
        'crm.contact.updated',
        owner.orgId,
        { contactId: 'c-1', changes: { stage: { from: 'lead', to: 'client' }, email: { from: 'a@b.co', to: 'c@d.co' } } },
        {
          actortype: 'user',
          actorid: owner.userId,
          actorrole: 'owner',
          requestid: 'req-twice',
        },
      );
      await publishEvents(stack, 'crm.events', [event]);
      await publishEvents(stack, 'crm.events', [event]);
      const [entry] = await waitForAudit(
        stack.http,
        owner.accessToken,
        { action: 'crm.contact.updated', recordId: event.subject },
        (items) => items.length > 0,
      );
      expect(entry).toMatchObject({
        eventId: event.id,
        target: { model: 'contact', id: event.subject },
        actor: { type: 'user', id: owner.userId, role: 'owner' },
        requestId: 'req-twice',
        changes: { stage: { from: 'lead', to: 'client' }, email: { from: 'a***@b.co', to: 'c***@d.co' } },
      });
      // a later event on the same topic proves the duplicate was consumed (and skipped) before it
      const marker = testEvent('crm.contact.deleted', owner.orgId, {});
      await publishEvents(stack, 'crm.events', [marker]);
      await waitForAudit(stack.http, owner.accessToken, { recordId: marker.subject }, (items) => items.length === 1);
      expect(await count(superuser, `SELECT count(*) AS n FROM audit_entry WHERE event_id = $1`, [event.id])).toBe(1);
    });

    it('records a listings.events change with its actor and change set, once', async () => {
      const event = testEvent(
        'listings.property.updated',
        owner.orgId,
        {
          propertyId: 'p-1',
          listingKey: 'KC-1',
          origin: 'manual',
          changes: { listPrice: { from: 650_000_00, to: 675_000_00 }, publicRemarks: { from: 'Sunny', to: 'Sunny\r\nand quiet' } },
        },
        { actortype: 'user', actorid: agent.userId, actorrole: 'agent', requestid: 'req-listing' },
      );
      await publishEvents(stack, 'listings.events', [event, event]);
      const [entry] = await waitForAudit(
        stack.http,
        owner.accessToken,
        { action: 'listings.property.updated', recordId: event.subject },
        (items) => items.length > 0,
      );
      expect(entry).toMatchObject({
        target: { model: 'property', id: event.subject },
        actor: { type: 'user', id: agent.userId, role: 'agent' },
        source: 'keyhouse/listings',
        changes: { listPrice: { from: 650_000_00, to: 675_000_00 }, publicRemarks: { from: 'Sunny', to: 'Sunny\uFFFD\uFFFDand quiet' } },
        details: { propertyId: 'p-1', listingKey: 'KC-1', origin: 'manual' },
      });
      expect(await count(superuser, `SELECT count(*) AS n FROM audit_entry WHERE event_id = $1`, [event.id])).toBe(1);
    });

    it('records every event of a burst exactly once across an audit restart (deals.events)', async () => {
      const burst = Array.from({ length: 150 }, (_, i) =>
        testEvent('deals.transaction.stage_changed', owner.orgId, { from: 'offer', to: `stage-${i}` }, { subject: `burst-${i}` }),
      );
      const sending = publishEvents(stack, 'deals.events', burst);
      await new Promise((resolve) => setTimeout(resolve, 150));
      await stack.stopService('audit');
      await sending;
      // redeliver a third of the burst, as a relay that crashed before marking would
      await publishEvents(stack, 'deals.events', burst.slice(0, 50));
      await stack.startService('audit');
      const ids = burst.map((event) => event.id);
      const started = Date.now();
      while ((await count(superuser, `SELECT count(*) AS n FROM audit_entry WHERE event_id = ANY($1)`, [ids])) < burst.length) {
        if (Date.now() - started > 30_000) throw new Error('burst not recorded in time');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await count(superuser, `SELECT count(*) AS n FROM audit_entry WHERE event_id = ANY($1)`, [ids])).toBe(150);
      expect(await count(superuser, `SELECT count(DISTINCT event_id) AS n FROM audit_entry WHERE event_id = ANY($1)`, [ids])).toBe(150);
      const verify = await stack.http.get<AuditVerifyResponse>('/v1/audit-logs/verify', { token: owner.accessToken });
      expect(verify.body).toMatchObject({ ok: true });
    });
  });

  describe('concurrent producers (SEC-AL-01, scaled down)', () => {
    it('appends 8 producers × 500 events over 2 organizations (4 through Kafka, 4 writing directly) as gapless, unforked, verifiable chains', async () => {
      const orgs = [await registerOrganization(stack.http, 'Busy Realty'), await registerOrganization(stack.http, 'Busier Realty')];
      const producers = Array.from({ length: 8 }, (_, p) =>
        Array.from({ length: 500 }, (_, i) =>
          testEvent(
            'crm.contact.updated',
            orgs[(p + i) % 2].orgId,
            { changes: { stage: { from: 'lead', to: `stage-${p}-${i}` } } },
            { subject: `c-${p}-${i % 20}` },
          ),
        ),
      );
      const ingest = stack.services.audit!.get(AuditIngestConsumer);
      const chunks = <T>(items: T[], size: number) =>
        Array.from({ length: Math.ceil(items.length / size) }, (_, k) => items.slice(k * size, (k + 1) * size));
      await Promise.all(
        producers.map(async (events, p) => {
          for (const chunk of chunks(events, p < 4 ? 50 : 25)) {
            if (p < 4) await publishEvents(stack, 'crm.events', chunk);
            else await ingest.recordBatch(chunk);
          }
        }),
      );
      const ids = producers.flat().map((event) => event.id);
      const started = Date.now();
      while ((await count(superuser, `SELECT count(*) AS n FROM audit_entry WHERE event_id = ANY($1)`, [ids])) < ids.length) {
        if (Date.now() - started > 60_000) throw new Error('concurrent events not recorded in time');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      for (const org of orgs) {
        const [chain] = (await superuser.query(
          `SELECT count(*)::int AS n, max(seq)::int AS head, count(DISTINCT seq)::int AS seqs, count(DISTINCT prev_hash)::int AS prevs,
                  count(*) FILTER (WHERE event_id = ANY($2))::int AS produced
             FROM audit_entry WHERE org_id = $1`,
          [org.orgId, ids],
        )) as Array<{ n: number; head: number; seqs: number; prevs: number; produced: number }>;
        expect(chain.produced).toBe(2000);
        expect(chain).toEqual({ n: chain.head, head: chain.head, seqs: chain.head, prevs: chain.head, produced: 2000 });
        const verify = await stack.http.get<AuditVerifyResponse>('/v1/audit-logs/verify', { token: org.accessToken });
        expect(verify.body).toMatchObject({ ok: true, count: chain.head, headSeq: chain.head });
      }
    });
  });

  describe('GET /v1/audit-logs', () => {
    it('refuses agents (no audit:read) and managers (team scope, not allowed by the organization) and records the refusal for the owner to see', async () => {
      expect((await auditLogs(stack.http, agent.accessToken)).status).toBe(403);
      const manager = await createUser(stack.http, owner, 'manager');
      const managerRead = await auditLogs(stack.http, manager.accessToken);
      expect(managerRead.status).toBe(403);
      expect(managerRead.body).toMatchObject({ code: 'AUDIT_TEAM_READ_DISABLED' });
      expect((await stack.http.get('/v1/audit-logs/verify', { token: agent.accessToken })).status).toBe(403);
      expect((await stack.http.get('/v1/audit-logs/export', { token: agent.accessToken })).status).toBe(403);
      const [denied] = await waitForAudit(
        stack.http,
        owner.accessToken,
        { action: 'gateway.access.denied', user: agent.userId },
        (items) => items.length >= 1,
      );
      expect(denied.target).toEqual({ model: 'access', id: expect.stringMatching(/^GET \/v1\/audit-logs/) });
      expect(denied.details).toMatchObject({ status: 403, method: 'GET' });
      expect(denied.actor).toEqual({ type: 'user', id: agent.userId, role: 'agent' });
    });

    it('records a 401 with bad credentials on a protected route in the platform chain', async () => {
      const refused = await stack.http.get('/v1/users', { token: 'aaa.bbb.ccc' });
      expect(refused.status).toBe(401);
      const started = Date.now();
      while (
        (await count(
          superuser,
          `SELECT count(*) AS n FROM audit_entry WHERE org_id = $1 AND action = 'gateway.authentication.failed' AND request_id = $2`,
          [AUDIT_NIL_ORG, refused.headers.get('x-request-id')],
        )) !== 1
      ) {
        if (Date.now() - started > 20_000) throw new Error('401 not recorded');
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    });

    it('shows an organization only its own entries (cross-organization isolation)', async () => {
      const mine = await auditLogs(stack.http, other.accessToken, { limit: '100' });
      expect(mine.status).toBe(200);
      expect(mine.body.items.length).toBeGreaterThan(0);
      expect(mine.body.items.every((entry) => entry.actor.id === other.userId || entry.actor.id === null)).toBe(true);
      const foreign = await auditLogs(stack.http, other.accessToken, { recordId: agent.userId });
      expect(foreign.body.items).toEqual([]);
    });

    it('filters by user, action, action prefix, model, record id, dates, and pages by cursor', async () => {
      const all = await waitForAudit(stack.http, owner.accessToken, {}, (items) => items.length >= 10);
      const byUser = (await auditLogs(stack.http, owner.accessToken, { user: owner.userId, limit: '100' })).body.items;
      expect(byUser.length).toBeGreaterThan(0);
      expect(byUser.every((entry) => entry.actor.id === owner.userId)).toBe(true);
      const byPrefix = (await auditLogs(stack.http, owner.accessToken, { action: 'identity.user.*', limit: '100' })).body.items;
      expect(new Set(byPrefix.map((entry) => entry.action))).toEqual(new Set(['identity.user.created', 'identity.user.role_changed']));
      const byModel = (await auditLogs(stack.http, owner.accessToken, { model: 'api_key' })).body.items;
      expect(byModel.map((entry) => entry.action).sort()).toEqual(['identity.api_key.created', 'identity.api_key.revoked']);
      const future = (await auditLogs(stack.http, owner.accessToken, { from: new Date(Date.now() + 3_600_000).toISOString() })).body.items;
      expect(future).toEqual([]);
      const past = (await auditLogs(stack.http, owner.accessToken, { to: '2020-01-01T00:00:00.000Z' })).body.items;
      expect(past).toEqual([]);
      const today = (await auditLogs(stack.http, owner.accessToken, { date: new Date().toISOString().slice(0, 10), limit: '100' })).body
        .items;
      expect(today.length).toBeGreaterThan(0);

      const seen: AuditEntryView[] = [];
      let cursor: string | null = null;
      do {
        const page = await auditLogs(stack.http, owner.accessToken, { limit: '7', ...(cursor ? { cursor } : {}) });
        expect(page.status).toBe(200);
        seen.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);
      const seqs = seen.map((entry) => entry.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(seqs.length).toBeGreaterThanOrEqual(all.length);
      // the seeds' names answer the same query under the same permission
      const day = new Date().toISOString().slice(0, 10);
      const seedQuery = `user=${owner.userId}&date=${day}&limit=100`;
      const canonical = await stack.http.get<{ items: AuditEntryView[] }>(`/v1/audit-logs?${seedQuery}`, { token: owner.accessToken });
      const logs = await stack.http.get<{ items: AuditEntryView[] }>(`/v1/logs?${seedQuery}`, { token: owner.accessToken });
      const auditLog = await stack.http.get<{ items: AuditEntryView[] }>(`/v1/audit-log?${seedQuery}`, { token: owner.accessToken });
      expect(canonical.body.items.length).toBeGreaterThan(0);
      expect(logs.body.items.map((entry) => entry.id)).toEqual(canonical.body.items.map((entry) => entry.id));
      expect(auditLog.body.items.map((entry) => entry.id)).toEqual(canonical.body.items.map((entry) => entry.id));
      expect((await stack.http.get(`/v1/logs?${seedQuery}`, { token: agent.accessToken })).status).toBe(403);
      expect((await stack.http.get(`/v1/audit-log?${seedQuery}`, { token: agent.accessToken })).status).toBe(403);
      expect((await stack.http.get<{ items: AuditEntryView[] }>(`/v1/logs?${seedQuery}`, { token: other.accessToken })).body.items).toEqual(
        [],
      );
      expect((await stack.http.get(`/v1/logs?date=21-11-2026`, { token: owner.accessToken })).status).toBe(400);

      expect((await auditLogs(stack.http, owner.accessToken, { action: 'Not An Action' })).status).toBe(400);
      expect((await auditLogs(stack.http, owner.accessToken, { cursor: 'garbage' })).status).toBe(400);
      expect((await auditLogs(stack.http, owner.accessToken, { nope: '1' })).status).toBe(400);
    });

    it('lets a team-scoped manager read their team only once the organization allows it', async () => {
      const team = await stack.http.post<{ id: string }>('/v1/teams', { name: `North ${newId().slice(-6)}` }, { token: owner.accessToken });
      expect(team.status).toBe(201);
      const role = await stack.http.post(
        '/v1/roles',
        { key: 'audit-lead', name: 'Audit lead', permissions: ['audit:read:team'] },
        { token: owner.accessToken },
      );
      expect(role.status).toBe(201);
      const lead = await createUser(stack.http, owner, 'audit-lead', { teamIds: [team.body.id] });
      const member = await createUser(stack.http, owner, 'agent', { teamIds: [team.body.id] });
      const refused = await auditLogs(stack.http, lead.accessToken);
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: 'AUDIT_TEAM_READ_DISABLED' });

      expect(
        (await stack.http.request('PUT', '/v1/audit-logs/settings', { token: agent.accessToken, json: { managersMayRead: true } })).status,
      ).toBe(403);
      const allowed = await stack.http.request('PUT', '/v1/audit-logs/settings', {
        token: owner.accessToken,
        json: { managersMayRead: true },
      });
      expect(allowed.status).toBe(200);
      expect(allowed.body).toEqual({ managersMayRead: true, retentionDays: null });
      const visible = await waitForAudit(stack.http, lead.accessToken, { action: 'identity.login.succeeded' }, (items) =>
        items.some((entry) => entry.actor.id === member.userId),
      );
      const actors = new Set(visible.map((entry) => entry.actor.id));
      expect(actors.has(owner.userId)).toBe(false);
      expect(actors.has(agent.userId)).toBe(false);
      expect((await stack.http.get('/v1/audit-logs/verify', { token: lead.accessToken })).status).toBe(403);
      const [setting] = await waitForAudit(
        stack.http,
        owner.accessToken,
        { action: 'audit.settings.updated' },
        (items) => items.length === 1,
      );
      expect(setting.changes).toEqual({ managersMayRead: { from: false, to: true } });

      // membership also follows the team's own events: added by PATCH /v1/teams/:id → visible; team deleted → gone
      const joiner = await createUser(stack.http, owner, 'agent');
      await waitForAudit(
        stack.http,
        owner.accessToken,
        { user: joiner.userId, action: 'identity.login.succeeded' },
        (items) => items.length === 1,
      );
      expect((await auditLogs(stack.http, lead.accessToken, { user: joiner.userId })).body.items).toEqual([]);
      const current = await stack.http.get<{ memberIds: string[] }>(`/v1/teams/${team.body.id}`, { token: owner.accessToken });
      const patched = await stack.http.patch(
        `/v1/teams/${team.body.id}`,
        { memberIds: [...current.body.memberIds, joiner.userId] },
        { token: owner.accessToken },
      );
      expect(patched.status).toBe(200);
      await waitForAudit(
        stack.http,
        lead.accessToken,
        { user: joiner.userId, action: 'identity.login.succeeded' },
        (items) => items.length === 1,
      );
      expect((await stack.http.delete(`/v1/teams/${team.body.id}`, { token: owner.accessToken })).status).toBeLessThan(300);
      const started = Date.now();
      while ((await count(superuser, `SELECT count(*) AS n FROM audit_org_member WHERE $1 = ANY(team_ids)`, [team.body.id])) > 0) {
        if (Date.now() - started > 20_000) throw new Error('team deletion not applied to audit_org_member');
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    });

    it('exports CSV with a header row and records the export', async () => {
      const response = await stack.http.get<string>('/v1/audit-logs/export?action=identity.api_key.*', { token: owner.accessToken });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
      const lines = response.body.trim().split('\n');
      expect(lines[0]).toBe(
        'seq,id,occurredAt,recordedAt,action,actorType,actorId,actorRole,targetModel,targetId,source,requestId,ip,userAgent,changes,details,eventId,prevHash,hash',
      );
      expect(lines).toHaveLength(3);
      expect(lines[1]).toContain('identity.api_key.revoked');
      const [exported] = await waitForAudit(stack.http, owner.accessToken, { action: 'audit.log.exported' }, (items) => items.length === 1);
      expect(exported.details).toEqual({ filters: { action: 'identity.api_key.*' } });
    });
  });

  describe('retention', () => {
    it('archives entries past the retention with the chain checkpoint, verifiable offline, and deletes nothing', async () => {
      const org = await registerOrganization(stack.http, 'Retention Realty');
      await waitForAudit(stack.http, org.accessToken, {}, (items) => items.length >= 2);
      const tooShort = await stack.http.request('PUT', '/v1/audit-logs/settings', { token: org.accessToken, json: { retentionDays: 7 } });
      expect(tooShort.status).toBe(400);
      const set = await stack.http.request('PUT', '/v1/audit-logs/settings', { token: org.accessToken, json: { retentionDays: 30 } });
      expect(set.body).toEqual({ managersMayRead: false, retentionDays: 30 });
      const rowsBefore = await count(superuser, `SELECT count(*) AS n FROM audit_entry WHERE org_id = $1`, [org.orgId]);
      const job = stack.services.audit!.get(AuditArchiveJob);
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

      expect(await count(superuser, `SELECT count(*) AS n FROM audit_entry WHERE org_id = $1 AND seq <= $2`, [org.orgId, rowsBefore])).toBe(
        rowsBefore,
      );
      const [recorded] = await waitForAudit(stack.http, org.accessToken, { action: 'audit.log.archived' }, (items) => items.length === 1);
      expect(recorded.details).toMatchObject({ fromSeq: 1, toSeq: rowsBefore, count: rowsBefore, fileSha256: archive.fileSha256 });
      const archives = await stack.http.get<{ items: Array<Record<string, unknown>>; nextCursor: string | null }>(
        '/v1/audit-logs/archives',
        { token: org.accessToken },
      );
      expect(archives.status).toBe(200);
      expect(archives.body.items).toEqual([
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
      expect((await stack.http.get<{ items: unknown[] }>('/v1/audit-logs/archives', { token: owner.accessToken })).body.items).toEqual([]);
      expect((await stack.http.get('/v1/audit-logs/archives', { token: agent.accessToken })).status).toBe(403);

      const [next] = (await job.archive(later)).filter((result) => result.orgId === org.orgId);
      expect(next.fromSeq).toBe(rowsBefore + 1);
      expect(next.prevHash).toBe(previous);
      const verify = await stack.http.get<AuditVerifyResponse>('/v1/audit-logs/verify', { token: org.accessToken });
      expect(verify.body).toMatchObject({ ok: true });
    });
  });

  describe('tamper evidence', () => {
    it('refuses UPDATE, DELETE and TRUNCATE to the audit role and to the superuser', async () => {
      await waitForAudit(stack.http, owner.accessToken, {}, (items) => items.length > 0);
      await stack.services.audit!.get(AuditCheckpointJob).checkpoint();
      expect(await count(superuser, `SELECT count(*) AS n FROM audit_checkpoint WHERE org_id = $1`, [owner.orgId])).toBeGreaterThan(0);
      for (const db of [auditRole, superuser]) {
        await expect(db.query(`UPDATE audit_entry SET action = 'x' WHERE org_id = $1`, [owner.orgId])).rejects.toThrow(
          /permission denied|append-only/,
        );
        await expect(db.query(`DELETE FROM audit_entry WHERE org_id = $1`, [owner.orgId])).rejects.toThrow(/permission denied|append-only/);
        await expect(db.query(`TRUNCATE audit_entry`)).rejects.toThrow(/permission denied|append-only/);
        await expect(db.query(`DELETE FROM audit_checkpoint WHERE org_id = $1`, [owner.orgId])).rejects.toThrow(
          /permission denied|append-only/,
        );
      }
      await expect(auditRole.query(`UPDATE audit_entry SET action = 'x' WHERE org_id = $1`, [owner.orgId])).rejects.toThrow(
        /permission denied for table audit_entry/,
      );
      await expect(superuser.query(`UPDATE audit_entry SET action = 'x' WHERE org_id = $1`, [owner.orgId])).rejects.toThrow(/append-only/);
    });

    it('gives the runtime role no way to lift the protection: it owns nothing, cannot disable the trigger, grant itself UPDATE, or become the owner', async () => {
      const [owners] = (await superuser.query(
        `SELECT count(*) FILTER (WHERE tableowner = 'keyhouse_audit') AS runtime, count(*) FILTER (WHERE tableowner = 'keyhouse_audit_owner') AS owner
           FROM pg_tables WHERE schemaname = 'audit'`,
      )) as Array<{ runtime: string; owner: string }>;
      expect(Number(owners.runtime)).toBe(0);
      expect(Number(owners.owner)).toBeGreaterThanOrEqual(5);
      await expect(auditRole.query(`ALTER TABLE audit_entry DISABLE TRIGGER USER`)).rejects.toThrow(/must be owner of table audit_entry/);
      // without the grant option Postgres only warns "no privileges were granted": nothing changes
      await auditRole.query(`GRANT UPDATE, DELETE ON audit_entry TO keyhouse_audit`).catch(() => undefined);
      const [rights] = (await superuser.query(
        `SELECT has_table_privilege('keyhouse_audit', 'audit.audit_entry', 'UPDATE') AS can_update,
                has_table_privilege('keyhouse_audit', 'audit.audit_entry', 'DELETE') AS can_delete,
                has_table_privilege('keyhouse_audit', 'audit.audit_entry', 'INSERT') AS can_insert`,
      )) as Array<Record<string, boolean>>;
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
      const verify = await stack.http.get<AuditVerifyResponse>('/v1/audit-logs/verify', { token: other.accessToken });
      const newest = (await auditLogs(stack.http, other.accessToken, { limit: '1' })).body.items[0];
      expect(verify.body).toMatchObject({ ok: true, count: newest.seq, headSeq: newest.seq, headHash: newest.hash });
      expect(verify.body.brokenAt).toBeUndefined();
    });

    it('finds a row forged by a superuser with replication role (the exact entry)', async () => {
      const victim = await registerOrganization(stack.http, 'Forged Realty');
      await login(stack.http, victim.email);
      const entries = await waitForAudit(stack.http, victim.accessToken, {}, (items) => items.length >= 3);
      const target = entries.find((entry) => entry.seq === 2)!;
      const runner = superuser.createQueryRunner();
      await runner.connect();
      try {
        await runner.query(`SET session_replication_role = replica`);
        await runner.query(`UPDATE audit_entry SET actor_id = $2 WHERE id = $1`, [target.id, newId()]);
        await runner.query(`SET session_replication_role = origin`);
      } finally {
        await runner.release();
      }
      const verify = await stack.http.get<AuditVerifyResponse>('/v1/audit-logs/verify', { token: victim.accessToken });
      expect(verify.body).toMatchObject({ ok: false, count: 1, brokenAt: { seq: 2, id: target.id, reason: 'hash_mismatch' } });
    });

    it('finds a deleted middle row and a truncated tail (checkpoint beyond the head) after DISABLE TRIGGER', async () => {
      const victim = await registerOrganization(stack.http, 'Truncated Realty');
      await login(stack.http, victim.email);
      await login(stack.http, victim.email);
      const entries = await waitForAudit(stack.http, victim.accessToken, {}, (items) => items.length >= 4);
      const head = entries[0].seq;
      const job = stack.services.audit!.get(AuditCheckpointJob);
      await job.checkpoint();
      const [checkpoint] = (await superuser.query(`SELECT seq, hash FROM audit_checkpoint WHERE org_id = $1 ORDER BY seq DESC LIMIT 1`, [
        victim.orgId,
      ])) as Array<{ seq: string; hash: string }>;
      expect({ seq: Number(checkpoint.seq), hash: checkpoint.hash }).toEqual({ seq: head, hash: entries[0].hash });
      const checkpointed = await stack.http.get<AuditVerifyResponse>('/v1/audit-logs/verify', { token: victim.accessToken });
      expect(checkpointed.body).toMatchObject({ ok: true, headSeq: head });
      expect(checkpointed.body.checkpointsChecked).toBeGreaterThanOrEqual(1);

      await superuser.query(`ALTER TABLE audit_entry DISABLE TRIGGER USER`);
      try {
        await superuser.query(`DELETE FROM audit_entry WHERE org_id = $1 AND seq = $2`, [victim.orgId, head]);
      } finally {
        await superuser.query(`ALTER TABLE audit_entry ENABLE TRIGGER USER`);
      }
      const truncated = await stack.http.get<AuditVerifyResponse>('/v1/audit-logs/verify', { token: victim.accessToken });
      expect(truncated.body).toMatchObject({ ok: false, brokenAt: { seq: head, id: null, reason: 'checkpoint_beyond_head' } });

      await superuser.query(`ALTER TABLE audit_entry DISABLE TRIGGER USER`);
      try {
        await superuser.query(`DELETE FROM audit_entry WHERE org_id = $1 AND seq = 2`, [victim.orgId]);
      } finally {
        await superuser.query(`ALTER TABLE audit_entry ENABLE TRIGGER USER`);
      }
      const gap = await stack.http.get<AuditVerifyResponse>('/v1/audit-logs/verify', { token: victim.accessToken });
      expect(gap.body).toMatchObject({ ok: false, count: 1, brokenAt: { seq: 2, reason: 'seq_gap' } });
    });

    it('finds two swapped rows at the first of them, and a forged row inserted mid-chain (later rows shifted) at the first shifted row (SEC-AL-02)', async () => {
      const victims = [await registerOrganization(stack.http, 'Swapped Realty'), await registerOrganization(stack.http, 'Inserted Realty')];
      for (const victim of victims) {
        await login(stack.http, victim.email);
        await login(stack.http, victim.email);
        await waitForAudit(stack.http, victim.accessToken, {}, (items) => items.length >= 4);
      }
      const [swapped, inserted] = victims;
      await superuser.query(`ALTER TABLE audit_entry DISABLE TRIGGER USER`);
      try {
        // swap seq 2 and 3 (through a free seq, UNIQUE (org_id, seq))
        await superuser.query(`UPDATE audit_entry SET seq = 1000002 WHERE org_id = $1 AND seq = 2`, [swapped.orgId]);
        await superuser.query(`UPDATE audit_entry SET seq = 2 WHERE org_id = $1 AND seq = 3`, [swapped.orgId]);
        await superuser.query(`UPDATE audit_entry SET seq = 3 WHERE org_id = $1 AND seq = 1000002`, [swapped.orgId]);
        // shift seq ≥ 3 up by one and insert a well-hashed forged row at seq 3, chained to seq 2
        await superuser.query(`UPDATE audit_entry SET seq = seq + 1000000 WHERE org_id = $1 AND seq >= 3`, [inserted.orgId]);
        await superuser.query(`UPDATE audit_entry SET seq = seq - 999999 WHERE org_id = $1 AND seq > 1000000`, [inserted.orgId]);
        const [second] = (await superuser.query(`SELECT ${AUDIT_ENTRY_COLUMNS} FROM audit_entry e WHERE e.org_id = $1 AND e.seq = 2`, [
          inserted.orgId,
        ])) as AuditEntryRow[];
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
      } finally {
        await superuser.query(`ALTER TABLE audit_entry ENABLE TRIGGER USER`);
      }
      const swappedVerify = await stack.http.get<AuditVerifyResponse>('/v1/audit-logs/verify', { token: swapped.accessToken });
      expect(swappedVerify.body).toMatchObject({ ok: false, count: 1, brokenAt: { seq: 2, reason: 'hash_mismatch' } });
      // the forged row itself is well formed; the chain breaks at the first original row it displaced
      const insertedVerify = await stack.http.get<AuditVerifyResponse>('/v1/audit-logs/verify', { token: inserted.accessToken });
      expect(insertedVerify.body).toMatchObject({ ok: false, count: 3, brokenAt: { seq: 4, reason: 'hash_mismatch' } });
    });

    it('detects the whole chain rewritten and rehashed after seq k with the database checkpoints deleted, through the signed external copy (SEC-AL-03)', async () => {
      const victim = await registerOrganization(stack.http, 'Rewritten Realty');
      await login(stack.http, victim.email);
      await waitForAudit(stack.http, victim.accessToken, {}, (items) => items.length >= 3);
      await stack.services.audit!.get(AuditCheckpointJob).checkpoint();
      const [{ seq: checkpointSeq }] = (await superuser.query(`SELECT max(seq)::int AS seq FROM audit_checkpoint WHERE org_id = $1`, [
        victim.orgId,
      ])) as Array<{ seq: number }>;
      await login(stack.http, victim.email);
      await waitForAudit(stack.http, victim.accessToken, {}, (items) => items[0]?.seq > checkpointSeq);
      // anyone can check a checkpoint with the published public key alone (SEC-AL-06)
      const listed = await stack.http.get<AuditCheckpointPage>('/v1/audit-logs/checkpoints', { token: victim.accessToken });
      expect(listed.status).toBe(200);
      const [signed] = listed.body.items;
      expect(signed).toMatchObject({ orgId: victim.orgId, seq: checkpointSeq, keyId: 'dev-1' });
      const publicKey = createPublicKey({
        key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(listed.body.publicKeys[signed.keyId!], 'base64')]),
        format: 'der',
        type: 'spki',
      });
      const text = `keyhouse.audit.checkpoint/v1\n${victim.orgId}\n${signed.seq}\n${signed.hash}\n${signed.createdAt}\n`;
      expect(verifySignature(null, Buffer.from(text), publicKey, Buffer.from(signed.signature!, 'base64'))).toBe(true);
      expect(
        verifySignature(null, Buffer.from(text.replace(signed.hash, '0'.repeat(64))), publicKey, Buffer.from(signed.signature!, 'base64')),
      ).toBe(false);
      expect(
        (await stack.http.get<AuditCheckpointPage>('/v1/audit-logs/checkpoints', { token: other.accessToken })).body.items.every(
          (item) => item.orgId === other.orgId,
        ),
      ).toBe(true);
      expect((await stack.http.get('/v1/audit-logs/checkpoints', { token: agent.accessToken })).status).toBe(403);

      const file = path.join(archiveDir, victim.orgId, 'checkpoints.jsonl');
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
      await superuser.query(`ALTER TABLE audit_entry DISABLE TRIGGER USER`);
      await superuser.query(`ALTER TABLE audit_checkpoint DISABLE TRIGGER USER`);
      try {
        await superuser.query(`DELETE FROM audit_checkpoint WHERE org_id = $1`, [victim.orgId]);
        const rows = (await superuser.query(`SELECT ${AUDIT_ENTRY_COLUMNS} FROM audit_entry e WHERE e.org_id = $1 ORDER BY e.seq`, [
          victim.orgId,
        ])) as AuditEntryRow[];
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
      } finally {
        await superuser.query(`ALTER TABLE audit_entry ENABLE TRIGGER USER`);
        await superuser.query(`ALTER TABLE audit_checkpoint ENABLE TRIGGER USER`);
      }
      // the database alone is now self-consistent…
      const databaseOnly = await new AuditVerifyService(stack.services.audit!.get(DataSource)).verifyChain(victim.orgId);
      expect(databaseOnly).toMatchObject({ ok: true, checkpointsChecked: 0 });
      // …but not with the signed copy outside it
      const verify = await stack.http.get<AuditVerifyResponse>('/v1/audit-logs/verify', { token: victim.accessToken });
      expect(verify.body).toMatchObject({
        ok: false,
        count: checkpointSeq - 1,
        externalCheckpoints: 1,
        brokenAt: { seq: checkpointSeq, reason: 'checkpoint_mismatch' },
      });

      // a checkpoint line forged into the external copy without the private key is refused
      appendFileSync(file, `${JSON.stringify({ ...external, seq: 1, hash: 'f'.repeat(64) })}\n`);
      const forgedLine = await stack.http.get<AuditVerifyResponse>('/v1/audit-logs/verify', { token: victim.accessToken });
      expect(forgedLine.body).toMatchObject({ ok: false, brokenAt: { seq: 1, reason: 'checkpoint_signature_invalid' } });
    });
  });
});
