import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `erased_contact`: the crm contacts erased for a privacy request (issue 3), per organization,
 * written by the `deals.contact-erasure` consumer when it applies `crm.contact.erased`. Writes
 * that name an erased contact afterwards (a stale participants list sent back, a new offer or
 * invoice for that contact id) are anonymised on arrival. No personal data: ids and times.
 */
export class DealsErasedContact1763770000002 implements MigrationInterface {
  name = 'DealsErasedContact1763770000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE erased_contact (
      org_id uuid NOT NULL,
      contact_id uuid NOT NULL,
      erasure_event_id text NOT NULL,
      erased_at timestamptz(3) NOT NULL DEFAULT now(),
      PRIMARY KEY (org_id, contact_id)
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS erased_contact`);
  }
}
