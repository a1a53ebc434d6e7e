import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The crm contact a self-registered client user is (`contact_id`, set at registration), so that
 * `crm.contact.erased` finds the user to erase; and when that erasure happened (`erased_at`).
 */
export class ClientContactLink1763856000000 implements MigrationInterface {
  name = 'ClientContactLink1763856000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE app_user ADD COLUMN IF NOT EXISTS contact_id uuid, ADD COLUMN IF NOT EXISTS erased_at timestamptz(3)`,
    );
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS idx_app_user_org_contact ON app_user (org_id, contact_id) WHERE contact_id IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS idx_app_user_org_contact`);
    await queryRunner.query(`ALTER TABLE app_user DROP COLUMN IF EXISTS erased_at, DROP COLUMN IF EXISTS contact_id`);
  }
}
