import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Contract deadlines, key-date follow-up and reminders, invoices with line items and payments, and
 * transaction files. `deal_settings` holds one row per organization (absent = defaults). Money in
 * `bigint` cents; invoice totals are kept in columns recomputed in the same transaction as their
 * lines and payments, with CHECKs that they stay consistent.
 */
export class DealsDatesFilesInvoices1763769800002 implements MigrationInterface {
  name = 'DealsDatesFilesInvoices1763769800002';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE deal_settings (
        org_id uuid PRIMARY KEY,
        time_zone text NOT NULL DEFAULT 'UTC',
        deadlines jsonb NOT NULL DEFAULT '{}',
        roll_to_business_day boolean NOT NULL DEFAULT true,
        holidays date[] NOT NULL DEFAULT '{}',
        reminder_offsets_minutes integer[] NOT NULL DEFAULT '{4320,1440}',
        next_invoice_number integer NOT NULL DEFAULT 1,
        updated_at timestamptz(3)
      )`,
      `CREATE TABLE key_date (
        org_id uuid NOT NULL,
        transaction_id uuid NOT NULL REFERENCES deal_transaction (id),
        key text NOT NULL,
        due_on date NOT NULL,
        origin text NOT NULL DEFAULT 'manual' CHECK (origin IN ('computed', 'manual')),
        done_at timestamptz(3),
        missed_at timestamptz(3),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (transaction_id, key)
      )`,
      `CREATE INDEX key_date_pending_idx ON key_date (due_on) WHERE done_at IS NULL AND missed_at IS NULL`,
      `CREATE TABLE key_date_reminder (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        transaction_id uuid NOT NULL REFERENCES deal_transaction (id),
        key text NOT NULL,
        due_on date NOT NULL,
        offset_minutes integer NOT NULL CHECK (offset_minutes >= 0),
        remind_at timestamptz(3) NOT NULL,
        sent_at timestamptz(3),
        CONSTRAINT key_date_reminder_once_uq UNIQUE (transaction_id, key, due_on, offset_minutes)
      )`,
      `CREATE INDEX key_date_reminder_due_idx ON key_date_reminder (remind_at) WHERE sent_at IS NULL`,
      `CREATE TABLE invoice (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        number text NOT NULL,
        transaction_id uuid REFERENCES deal_transaction (id),
        agent_id uuid,
        agent_ids uuid[] NOT NULL DEFAULT '{}',
        team_ids uuid[] NOT NULL DEFAULT '{}',
        bill_to jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('draft', 'sent', 'paid', 'overdue', 'void')),
        issue_date date NOT NULL,
        due_date date NOT NULL,
        total_cents bigint NOT NULL DEFAULT 0 CHECK (total_cents >= 0),
        paid_cents bigint NOT NULL DEFAULT 0 CHECK (paid_cents >= 0),
        notes text,
        sent_at timestamptz(3),
        paid_at timestamptz(3),
        overdue_at timestamptz(3),
        voided_at timestamptz(3),
        created_by uuid,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT invoice_paid_le_total_ck CHECK (paid_cents <= total_cents),
        CONSTRAINT invoice_due_after_issue_ck CHECK (due_date >= issue_date)
      )`,
      `CREATE UNIQUE INDEX invoice_org_number_uq ON invoice (org_id, number)`,
      `CREATE INDEX invoice_org_created_idx ON invoice (org_id, created_at, id)`,
      `CREATE INDEX invoice_transaction_idx ON invoice (transaction_id)`,
      `CREATE INDEX invoice_agent_ids_idx ON invoice USING gin (agent_ids)`,
      `CREATE INDEX invoice_team_ids_idx ON invoice USING gin (team_ids)`,
      `CREATE INDEX invoice_sent_due_idx ON invoice (due_date) WHERE status = 'sent'`,
      `CREATE TABLE invoice_line (
        invoice_id uuid NOT NULL REFERENCES invoice (id) ON DELETE CASCADE,
        position integer NOT NULL,
        description text NOT NULL,
        quantity integer NOT NULL CHECK (quantity > 0),
        unit_amount_cents bigint NOT NULL CHECK (unit_amount_cents >= 0),
        amount_cents bigint NOT NULL,
        PRIMARY KEY (invoice_id, position),
        CONSTRAINT invoice_line_amount_ck CHECK (amount_cents = quantity * unit_amount_cents)
      )`,
      `CREATE TABLE invoice_payment (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        invoice_id uuid NOT NULL REFERENCES invoice (id),
        amount_cents bigint NOT NULL CHECK (amount_cents > 0),
        paid_on date NOT NULL,
        method text NOT NULL,
        reference text,
        recorded_by uuid,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX invoice_payment_invoice_idx ON invoice_payment (invoice_id, created_at)`,
      `CREATE TABLE transaction_file (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        transaction_id uuid NOT NULL REFERENCES deal_transaction (id),
        name text NOT NULL,
        content_type text NOT NULL,
        size_bytes bigint NOT NULL CHECK (size_bytes > 0),
        sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        storage_key text NOT NULL,
        status text NOT NULL CHECK (status IN ('uploading', 'stored')),
        uploaded_by uuid,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        deleted_at timestamptz(3)
      )`,
      `CREATE INDEX transaction_file_transaction_idx ON transaction_file (transaction_id, created_at, id) WHERE deleted_at IS NULL`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'transaction_file',
      'invoice_payment',
      'invoice_line',
      'invoice',
      'key_date_reminder',
      'key_date',
      'deal_settings',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
