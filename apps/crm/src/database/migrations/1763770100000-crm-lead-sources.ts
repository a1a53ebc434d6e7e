import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Organization-configurable lead sources (issue 13 item 16; docs/adr/0032-organization-lead-sources.md):
 * - `lead_source`: an organization's list (key, label, archived, position). Keys are lowercase
 *   slugs (CHECK) unique per organization (the primary key); labels 1–60 characters.
 * - `lead_source_list`: one row per organization whose list has been written (the defaults were
 *   copied into `lead_source` then, in the same transaction). An organization without a row uses
 *   the defaults (`CRM_LEAD_SOURCES`) as they are, so existing organizations need no backfill and a
 *   deleted default does not come back.
 * `contact.source` (like `form_submission.source` and `lead_event.source`) stays `text` with no
 * CHECK: the crm validates it against the organization's list on write (`LeadSourceCatalog`).
 */
export class CrmLeadSources1763770100000 implements MigrationInterface {
  name = 'CrmLeadSources1763770100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE lead_source (
        org_id uuid NOT NULL,
        key text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9_]{0,39}$'),
        label text NOT NULL CHECK (char_length(label) BETWEEN 1 AND 60),
        archived_at timestamptz(3),
        position integer NOT NULL CHECK (position >= 0),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT lead_source_pk PRIMARY KEY (org_id, key)
      )`,
      `CREATE INDEX lead_source_org_position_idx ON lead_source (org_id, position, key)`,
      `CREATE TABLE lead_source_list (
        org_id uuid PRIMARY KEY,
        defaults_applied_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS lead_source_list`);
    await queryRunner.query(`DROP TABLE IF EXISTS lead_source`);
  }
}
