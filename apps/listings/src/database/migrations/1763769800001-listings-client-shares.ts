import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Client visibility (docs/adr/0019): `client_contact`, the read model of which crm contact each
 * client user is (fed by `identity.user.created` carrying `contactId`), and `property_share`, the
 * listings an agent shared with a contact (`POST /v1/properties/:id/shares`). A client sees a
 * listing on the market that is shared with their contact by a share, an interest record
 * (`contact_listing`) or a saved-search match (`saved_search_match`); those three tables are all
 * keyed by (org_id, contact_id, property_id), so each test is one primary-key probe.
 */
export class ListingsClientShares1763769800001 implements MigrationInterface {
  name = 'ListingsClientShares1763769800001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE client_contact (
        user_id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        contact_id uuid NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX client_contact_contact_idx ON client_contact (org_id, contact_id)`,
      `CREATE TABLE property_share (
        org_id uuid NOT NULL,
        contact_id uuid NOT NULL,
        property_id uuid NOT NULL REFERENCES property (id),
        shared_by uuid,
        shared_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, contact_id, property_id)
      )`,
      `CREATE INDEX property_share_property_idx ON property_share (property_id)`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS property_share`);
    await queryRunner.query(`DROP TABLE IF EXISTS client_contact`);
  }
}
