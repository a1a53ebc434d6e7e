import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AuditSubjects, CrmContactEvent, IdentityEvent, type Actor } from '@keyhouse/contracts';
import { actorFor, startService, testEvent, type TestService } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startAudit } from '../../src/main';
import { waitForEntries } from '../support/audit-entries.util';

/** Who reads what of the trail (`audit.logs.list`, `audit.settings.*`), on the audit service alone. */
describe('audit logs scoping (audit service over NATS)', () => {
  const archiveDir = mkdtempSync(path.join(tmpdir(), 'kh-audit-archive-'));
  let audit: TestService;
  const orgId = newId();
  const teamId = newId();
  const owner = actorFor({ orgId, role: 'owner', permissions: ['audit:read:org', 'organizations:write:org'] });
  const lead = actorFor({ orgId, role: 'audit-lead', permissions: ['audit:read:team'], teamIds: [teamId] });
  const agent = actorFor({ orgId, role: 'agent', permissions: ['contacts:read:own'] });
  const member = actorFor({ orgId, role: 'agent', permissions: [], teamIds: [teamId] });
  const stranger = actorFor({ orgId: newId(), role: 'owner', permissions: ['audit:read:org'] });

  /** A contact update by `actor` (a user event on `crm.events`). */
  function updateBy(actor: Actor) {
    return testEvent(
      CrmContactEvent.contactUpdated,
      actor.orgId,
      { contactId: newId(), changes: { stage: { from: 'lead', to: 'client' } } },
      { actortype: 'user', actorid: actor.userId, actorrole: actor.role },
    );
  }

  beforeAll(async () => {
    audit = await startService(startAudit, { AUDIT_ARCHIVE_DIR: archiveDir });
    // identity's user events feed the team membership the team scope reads (audit_org_member)
    await audit.publish('identity.events', [
      testEvent(IdentityEvent.userCreated, orgId, {
        userId: member.userId!,
        email: 'member@example.test',
        name: 'Member',
        role: 'agent',
        status: 'active',
        teamIds: [teamId],
      }),
      testEvent(IdentityEvent.userCreated, orgId, {
        userId: agent.userId!,
        email: 'agent@example.test',
        name: 'Agent',
        role: 'agent',
        status: 'active',
        teamIds: [],
      }),
    ]);
    await audit.publish('crm.events', [updateBy(owner), updateBy(agent), updateBy(member), updateBy(stranger)]);
    await waitForEntries(audit, owner, { action: 'crm.contact.updated' }, (items) => items.length === 3);
    await waitForEntries(audit, stranger, {}, (items) => items.length === 1);
  });

  afterAll(async () => {
    await audit?.stop();
    rmSync(archiveDir, { recursive: true, force: true });
  });

  it('refuses an actor without audit:read, and a request with no actor at all (never a 500)', async () => {
    await expect(audit.rpc.call(AuditSubjects.list, {}, agent)).rejects.toMatchObject({ kind: 'forbidden', code: 'FORBIDDEN' });
    await expect(audit.rpc.call(AuditSubjects.list, {}, null)).rejects.toMatchObject({ kind: 'forbidden', code: 'FORBIDDEN' });
    await expect(audit.rpc.call(AuditSubjects.exportPage, {}, null)).rejects.toMatchObject({ kind: 'forbidden', code: 'FORBIDDEN' });
  });

  it('shows an organization only its own entries (cross-organization isolation)', async () => {
    const mine = await audit.rpc.call(AuditSubjects.list, { limit: 100 }, stranger);
    expect(mine.items.map((entry) => entry.actor.id)).toEqual([stranger.userId]);
    const theirs = await audit.rpc.call(AuditSubjects.list, { limit: 100 }, owner);
    expect(theirs.items.some((entry) => entry.actor.id === stranger.userId)).toBe(false);
    expect(new Set(theirs.items.map((entry) => entry.actor.id))).toEqual(new Set([owner.userId, agent.userId, member.userId, null]));
  });

  it('filters by user and pages by cursor, newest first', async () => {
    const byUser = await audit.rpc.call(AuditSubjects.list, { user: agent.userId }, owner);
    expect(byUser.items.map((entry) => entry.actor.id)).toEqual([agent.userId]);
    const seqs: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await audit.rpc.call(AuditSubjects.list, { limit: 2, ...(cursor ? { cursor } : {}) }, owner);
      seqs.push(...page.items.map((entry) => entry.seq));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seqs).toEqual([5, 4, 3, 2, 1]);
    await expect(audit.rpc.call(AuditSubjects.list, { cursor: 'garbage' }, owner)).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
  });

  it("lets a team-scoped manager read their team's entries only once the organization allows it, and records the change", async () => {
    await expect(audit.rpc.call(AuditSubjects.list, {}, lead)).rejects.toMatchObject({ code: 'AUDIT_TEAM_READ_DISABLED' });
    await expect(audit.rpc.call(AuditSubjects.settingsUpdate, { managersMayRead: true }, lead)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await audit.rpc.call(AuditSubjects.settingsUpdate, { managersMayRead: true }, owner)).toEqual({
      managersMayRead: true,
      retentionDays: null,
    });
    expect(await audit.rpc.call(AuditSubjects.settingsGet, {}, lead)).toEqual({ managersMayRead: true, retentionDays: null });

    const visible = await audit.rpc.call(AuditSubjects.list, { limit: 100 }, lead);
    expect(visible.items.map((entry) => entry.actor.id)).toEqual([member.userId]);
    const [setting] = await waitForEntries(audit, owner, { action: 'audit.settings.updated' }, (items) => items.length === 1);
    expect(setting.changes).toEqual({ managersMayRead: { from: false, to: true } });
    expect(setting.actor).toEqual({ type: 'user', id: owner.userId, role: 'owner' });
  });
});
