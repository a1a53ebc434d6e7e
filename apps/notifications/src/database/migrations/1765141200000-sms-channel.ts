import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The SMS channel of the notifications service (issue 14, second slice; docs/adr/0035 "Second slice: SMS"):
 * - `recipient.phone`: the user's mobile number from identity's `user.created` / `user.updated`
 *   (E.164 or null), where a `lead_assigned` SMS goes;
 * - `sms_opt_out`: the opt-out ledger, one row per number pair as Twilio keeps it (`phone` = the
 *   person's number, `sender` = our number): an inbound STOP-like keyword or Twilio error 21610 on a
 *   send adds it, START/UNSTOP removes it; organization-independent (one Twilio number serves all);
 * - `sms_inbound`: inbound messages, `UNIQUE (message_sid)` so a webhook Twilio retries is stored once.
 */
export class SmsChannel1765141200000 implements MigrationInterface {
  name = 'SmsChannel1765141200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `ALTER TABLE recipient ADD COLUMN phone text`,
      `CREATE TABLE sms_opt_out (
        phone text NOT NULL,
        sender text NOT NULL,
        source text NOT NULL CHECK (source IN ('keyword', 'send_error')),
        keyword text,
        message_sid text,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (phone, sender)
      )`,
      `CREATE TABLE sms_inbound (
        id uuid PRIMARY KEY,
        message_sid text NOT NULL UNIQUE,
        from_number text NOT NULL,
        to_number text NOT NULL,
        body text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('opt_out', 'opt_in', 'help', 'message')),
        org_id uuid,
        received_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX delivery_sms_to_idx ON delivery (to_address, created_at DESC) WHERE channel = 'sms'`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS delivery_sms_to_idx`);
    await queryRunner.query(`DROP TABLE IF EXISTS sms_inbound`);
    await queryRunner.query(`DROP TABLE IF EXISTS sms_opt_out`);
    await queryRunner.query(`ALTER TABLE recipient DROP COLUMN IF EXISTS phone`);
  }
}
