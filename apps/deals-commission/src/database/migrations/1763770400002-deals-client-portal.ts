import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The client portal (issue 13 item 17, docs/adr/0033):
 * - `client_contact`, the read model of which crm contact each verified client user is, filled by
 *   the `deals-commission.client-contacts` consumer from `identity.user.created` (a client with
 *   `contactId`) and `identity.user.contact_linked`, moved by `crm.contact.merged`, deleted by the
 *   privacy erasure (`crm.contact.erased`);
 * - `transaction_file.shared_at` / `shared_by`: a file shared with the deal's clients (set by
 *   `PUT /v1/transactions/:id/files/:fileId/sharing`, null when not shared);
 * - GIN indexes on the deal's buyer and seller contact ids and an expression index on the invoice
 *   addressee's contact id, the portal's lookups by contact.
 */
export class DealsClientPortal1763770400002 implements MigrationInterface {
  name = 'DealsClientPortal1763770400002';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE client_contact (
        user_id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        contact_id uuid NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX client_contact_contact_idx ON client_contact (org_id, contact_id)`,
      `ALTER TABLE transaction_file ADD COLUMN shared_at timestamptz(3), ADD COLUMN shared_by uuid`,
      `CREATE INDEX deal_transaction_buyer_contacts_idx ON deal_transaction USING gin (buyer_contact_ids)`,
      `CREATE INDEX deal_transaction_seller_contacts_idx ON deal_transaction USING gin (seller_contact_ids)`,
      `CREATE INDEX invoice_bill_to_contact_idx ON invoice (org_id, (bill_to->>'contactId'), created_at, id)`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS invoice_bill_to_contact_idx`);
    await queryRunner.query(`DROP INDEX IF EXISTS deal_transaction_seller_contacts_idx`);
    await queryRunner.query(`DROP INDEX IF EXISTS deal_transaction_buyer_contacts_idx`);
    await queryRunner.query(`ALTER TABLE transaction_file DROP COLUMN IF EXISTS shared_by, DROP COLUMN IF EXISTS shared_at`);
    await queryRunner.query(`DROP TABLE IF EXISTS client_contact`);
  }
}
