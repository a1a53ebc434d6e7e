import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-organization trigger switches and the read models the remaining built-in triggers need
 * (issue 14 "Triggers and history"; docs/adr/0035 "Triggers and per-organization switches"):
 * - `notification_trigger`: one row per (organization, notification type) an owner/admin changed
 *   (`PATCH /v1/notification-triggers/:type`); no row = the built-in default of
 *   `NOTIFICATION_TRIGGERS`. `channels` null = the trigger's default channels.
 * - `trigger_transaction`: the agents of each deals transaction (`agent_id` and the agents of its
 *   team shares), from `deals.transaction.created` / `.updated` / `.stage_changed` / `.deleted`,
 *   for `offer_accepted` and `deal_deadline_missed` (their payloads name the transaction or one
 *   agent only). The contact's owner agent (`contact_search_matched`, `client_registered`) is read
 *   from `contact_recipient` (migration 1765320000000).
 */
export class TriggerSettings1765310000000 implements MigrationInterface {
  name = 'TriggerSettings1765310000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE notification_trigger (
        org_id uuid NOT NULL,
        type text NOT NULL,
        enabled boolean NOT NULL,
        channels text[] CHECK (channels IS NULL OR channels <@ ARRAY['in_app', 'email', 'sms', 'push']::text[]),
        updated_by uuid,
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, type)
      )`,
      `CREATE TABLE trigger_transaction (
        transaction_id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        agent_id uuid NOT NULL,
        team_agent_ids uuid[] NOT NULL DEFAULT '{}',
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS trigger_transaction`);
    await queryRunner.query(`DROP TABLE IF EXISTS notification_trigger`);
  }
}
