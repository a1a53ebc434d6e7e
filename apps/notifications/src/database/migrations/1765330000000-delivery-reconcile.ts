import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The reconcile of deliveries whose send has no known outcome (issue 14; docs/adr/0035 "Reconcile
 * of unknown sends"):
 * - `delivery.send_started_at`: set (with `attempts + 1`) right before a channel job calls the
 *   provider, cleared when the call is known not to have reached it (429 / 5xx / refused
 *   connection, retried). A job that finds a `queued` delivery with it set knows an earlier run
 *   died mid-send, and moves it to `unknown` instead of sending again;
 * - `delivery.reconcile_attempts`: resends the reconcile authorised (at most 1); a job sends an
 *   `unknown` delivery only when one is authorised and not yet started;
 * - `delivery_unknown_idx`: the reconcile's scan of `unknown` deliveries by age.
 */
export class DeliveryReconcile1765330000000 implements MigrationInterface {
  name = 'DeliveryReconcile1765330000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `ALTER TABLE delivery ADD COLUMN send_started_at timestamptz(3)`,
      `ALTER TABLE delivery ADD COLUMN reconcile_attempts integer NOT NULL DEFAULT 0 CHECK (reconcile_attempts BETWEEN 0 AND 1)`,
      `CREATE INDEX delivery_unknown_idx ON delivery (updated_at) WHERE status = 'unknown'`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS delivery_unknown_idx`);
    await queryRunner.query(`ALTER TABLE delivery DROP COLUMN IF EXISTS reconcile_attempts`);
    await queryRunner.query(`ALTER TABLE delivery DROP COLUMN IF EXISTS send_started_at`);
  }
}
