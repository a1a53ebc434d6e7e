import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed checkpoints (docs/adr/0020): each `audit_checkpoint` row carries the id of the Ed25519
 * key that signed it and the signature (base64) over `checkpointText` (org, seq, hash, created_at).
 * Rows written before this migration stay unsigned (null) and are checked as before.
 */
export class SignedAuditCheckpoints1763769600004 implements MigrationInterface {
  name = 'SignedAuditCheckpoints1763769600004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE audit_checkpoint ADD COLUMN IF NOT EXISTS key_id text, ADD COLUMN IF NOT EXISTS signature text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE audit_checkpoint DROP COLUMN IF EXISTS signature, DROP COLUMN IF EXISTS key_id`);
  }
}
