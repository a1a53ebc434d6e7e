import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tables of the agent's working tools: tasks and their reminders, companies, saved replies and tag
 * definitions (docs/adr/0010-crm-work-tools.md). Runs after the initial crm schema, so tasks may
 * reference `contact`. Deal and listing ids belong to other services and are plain indexed uuids.
 * Every column a list filters or sorts by is indexed; sort columns are `timestamptz(3)` (ADR 0003).
 */
export class CrmWorkSchema1763769700000 implements MigrationInterface {
  name = 'CrmWorkSchema1763769700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE task (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        title text NOT NULL,
        type text NOT NULL CHECK (type IN ('call', 'email', 'meeting', 'showing', 'follow-up', 'reminder')),
        contact_id uuid REFERENCES contact (id) ON DELETE SET NULL,
        deal_id uuid,
        listing_id uuid,
        assignee_id uuid NOT NULL,
        created_by uuid,
        due_at timestamptz(3) NOT NULL,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed', 'cancelled')),
        priority text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
        description text,
        reminders integer[] NOT NULL DEFAULT '{}',
        recurrence text,
        -- First task of a recurring series and the DTSTART of its rule (COUNT/UNTIL count from it).
        series_id uuid,
        series_start_at timestamptz(3),
        previous_occurrence_id uuid,
        next_occurrence_id uuid,
        -- Set when crm.task.overdue was emitted for the current due time; cleared when dueAt moves.
        overdue_notified_at timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        completed_at timestamptz(3)
      )`,
      `CREATE INDEX task_org_due_idx ON task (org_id, due_at, id)`,
      `CREATE INDEX task_assignee_due_idx ON task (assignee_id, due_at, id)`,
      `CREATE INDEX task_created_by_idx ON task (created_by, due_at, id)`,
      `CREATE INDEX task_contact_idx ON task (contact_id) WHERE contact_id IS NOT NULL`,
      `CREATE INDEX task_deal_idx ON task (deal_id) WHERE deal_id IS NOT NULL`,
      `CREATE INDEX task_listing_idx ON task (listing_id) WHERE listing_id IS NOT NULL`,
      `CREATE INDEX task_overdue_scan_idx ON task (due_at) WHERE status = 'open' AND overdue_notified_at IS NULL`,
      // One next occurrence per series and due time: completing twice cannot fork the series.
      `CREATE UNIQUE INDEX task_series_due_uq ON task (series_id, due_at) WHERE series_id IS NOT NULL`,
      // One row per reminder time; `sent_at` makes delivery once-only whatever runs the job.
      `CREATE TABLE task_reminder (
        task_id uuid NOT NULL REFERENCES task (id) ON DELETE CASCADE,
        offset_minutes integer NOT NULL,
        remind_at timestamptz(3) NOT NULL,
        org_id uuid NOT NULL,
        sent_at timestamptz(3),
        PRIMARY KEY (task_id, offset_minutes, remind_at)
      )`,
      `CREATE INDEX task_reminder_pending_idx ON task_reminder (remind_at) WHERE sent_at IS NULL`,
      `CREATE TABLE company (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        name text NOT NULL,
        industry text,
        size text CHECK (size IN ('1-10', '11-50', '51-200', '201-500', '501-1000', '1001+')),
        website text,
        phones text[] NOT NULL DEFAULT '{}',
        address jsonb,
        created_by uuid,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        deleted_at timestamptz(3)
      )`,
      `CREATE UNIQUE INDEX company_org_name_uq ON company (org_id, lower(name)) WHERE deleted_at IS NULL`,
      `CREATE INDEX company_org_sort_idx ON company (org_id, lower(name), id) WHERE deleted_at IS NULL`,
      `CREATE INDEX company_name_trgm_idx ON company USING gin (name public.gin_trgm_ops) WHERE deleted_at IS NULL`,
      `CREATE INDEX company_created_by_idx ON company (created_by) WHERE deleted_at IS NULL`,
      `CREATE TABLE saved_reply (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        owner_id uuid NOT NULL,
        name text NOT NULL,
        channel text NOT NULL DEFAULT 'any' CHECK (channel IN ('any', 'email', 'sms')),
        subject text,
        body text NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE UNIQUE INDEX saved_reply_owner_name_uq ON saved_reply (owner_id, lower(name))`,
      `CREATE INDEX saved_reply_owner_sort_idx ON saved_reply (owner_id, lower(name), id)`,
      `CREATE TABLE tag_definition (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        name text NOT NULL,
        colour text NOT NULL CHECK (colour ~ '^#[0-9a-f]{6}$'),
        scope text NOT NULL CHECK (scope IN ('org', 'personal')),
        owner_id uuid,
        created_by uuid,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CHECK ((scope = 'org') = (owner_id IS NULL))
      )`,
      `CREATE UNIQUE INDEX tag_definition_org_name_uq ON tag_definition (org_id, lower(name)) WHERE scope = 'org'`,
      `CREATE UNIQUE INDEX tag_definition_personal_name_uq ON tag_definition (owner_id, lower(name)) WHERE scope = 'personal'`,
      `CREATE INDEX tag_definition_org_sort_idx ON tag_definition (org_id, lower(name), id)`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['tag_definition', 'saved_reply', 'company', 'task_reminder', 'task']) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
