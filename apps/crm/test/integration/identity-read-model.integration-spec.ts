import { IdentityEvent } from '@keyhouse/contracts';
import { startService, testEvent } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startCrm } from '../../src/main';
import { crmDataSource, type CrmTestService } from '../support/crm-contacts.util';
import { identityEventsOf, seedIdentity, userOf } from '../support/crm-users.util';

/**
 * crm's read model of identity's users (`org_user`) when team and user events arrive out of order:
 * they travel on different partitions of `identity.events` (keyed by team id and user id), so a
 * team's `identity.team.created` naming a new member may be applied before the member's
 * `identity.user.created`. The membership must not be lost (the manager's team scope and lead
 * routing read `org_user.team_ids`).
 */
describe('crm identity read model: team events before the member’s user event', () => {
  let crm: CrmTestService;
  const orgId = newId();

  beforeAll(async () => {
    crm = await startService(startCrm);
  });

  afterAll(async () => {
    await crm?.stop();
  });

  const teamsOf = async (userId: string): Promise<string[] | undefined> => {
    const rows = (await crmDataSource(crm).query(`SELECT team_ids FROM org_user WHERE user_id = $1`, [userId])) as Array<{
      team_ids: string[];
    }>;
    return rows[0]?.team_ids;
  };

  it('gives a member the team whose team.created came first, and a later removal takes it away again', async () => {
    const teamId = newId();
    const otherTeamId = newId();
    const agent = userOf(orgId, 'agent');
    const colleague = userOf(orgId, 'agent');
    await seedIdentity(crm, identityEventsOf(colleague));
    // The team events first: the agent is not in the read model yet.
    await seedIdentity(crm, [
      testEvent(
        IdentityEvent.teamCreated,
        orgId,
        { teamId, name: 'North', managerId: null, memberIds: [agent.userId!, colleague.userId!] },
        { subject: teamId },
      ),
      testEvent(
        IdentityEvent.teamCreated,
        orgId,
        { teamId: otherTeamId, name: 'South', managerId: null, memberIds: [agent.userId!] },
        { subject: otherTeamId },
      ),
    ]);
    expect(await teamsOf(agent.userId!)).toBeUndefined();
    expect(await teamsOf(colleague.userId!)).toEqual([teamId]);

    await seedIdentity(crm, identityEventsOf(agent));
    expect((await teamsOf(agent.userId!))?.sort()).toEqual([teamId, otherTeamId].sort());

    await seedIdentity(crm, [
      testEvent(
        IdentityEvent.teamUpdated,
        orgId,
        { teamId: otherTeamId, changes: { memberIds: { from: [agent.userId!], to: [] } } },
        { subject: otherTeamId },
      ),
    ]);
    expect(await teamsOf(agent.userId!)).toEqual([teamId]);
  });

  it('does not give a member created later a team that was deleted before', async () => {
    const teamId = newId();
    const agent = userOf(orgId, 'agent');
    await seedIdentity(crm, [
      testEvent(
        IdentityEvent.teamCreated,
        orgId,
        { teamId, name: 'Gone', managerId: null, memberIds: [agent.userId!] },
        { subject: teamId },
      ),
      testEvent(IdentityEvent.teamDeleted, orgId, { teamId, name: 'Gone' }, { subject: teamId }),
    ]);
    await seedIdentity(crm, identityEventsOf(agent));
    expect(await teamsOf(agent.userId!)).toEqual([]);
  });
});
