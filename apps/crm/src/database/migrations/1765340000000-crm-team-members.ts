import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `team_member`: the memberships identity's team events announced (`identity.team.created` /
 * `.updated` member lists, `.deleted`), one row per team and user. Team and user events travel on
 * different partitions of `identity.events` (keyed by their own ids), so a team event may reach
 * crm before the `identity.user.created` of a member; the read model then has no `org_user` row to
 * add the team to. `identity.user.created` merges the user's rows from here into `org_user.team_ids`,
 * so the membership is not lost whatever the order. Backfilled from `org_user.team_ids`.
 */
export class CrmTeamMembers1765340000000 implements MigrationInterface {
  name = 'CrmTeamMembers1765340000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE team_member (
        org_id uuid NOT NULL,
        team_id uuid NOT NULL,
        user_id uuid NOT NULL,
        CONSTRAINT team_member_pk PRIMARY KEY (team_id, user_id)
      )`,
      `CREATE INDEX team_member_user_idx ON team_member (user_id)`,
      `INSERT INTO team_member (org_id, team_id, user_id)
         SELECT org_id, unnest(team_ids), user_id FROM org_user
         ON CONFLICT DO NOTHING`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS team_member`);
  }
}
