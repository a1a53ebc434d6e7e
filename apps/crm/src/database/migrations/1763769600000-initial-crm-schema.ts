import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxAndInboxDdl } from '@keyhouse/platform/messaging';

/**
 * The crm schema: contacts and what hangs off them (notes, timeline, form submissions, lead
 * events, assignments), custom field definitions, assignment rules, ponds and the fairness ledger,
 * the read model of the organization's users built from identity events, the outbox and the inbox.
 * Every foreign key and every column a list filters or sorts by is indexed. `public.gin_trgm_ops`
 * (pg_trgm in schema public) backs text search and fuzzy name matching (docs/adr/0008).
 */
export class InitialCrmSchema1763769600000 implements MigrationInterface {
  name = 'InitialCrmSchema1763769600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'crm';
    const statements = [
      ...outboxAndInboxDdl(schema),
      // Read model of identity's users (agents with their routing profile); fed by identity.events.
      `CREATE TABLE org_user (
        user_id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        name text NOT NULL DEFAULT '',
        email text NOT NULL DEFAULT '',
        role text NOT NULL,
        status text NOT NULL,
        team_ids uuid[] NOT NULL DEFAULT '{}',
        regions text[] NOT NULL DEFAULT '{}',
        capacity integer NOT NULL DEFAULT 25,
        working_hours jsonb,
        is_agent boolean NOT NULL DEFAULT false,
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX org_user_org_idx ON org_user (org_id, role, status)`,
      `CREATE INDEX org_user_team_ids_idx ON org_user USING gin (team_ids)`,
      `CREATE TABLE custom_field_definition (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        key text NOT NULL,
        label text NOT NULL,
        type text NOT NULL CHECK (type IN ('text', 'number', 'boolean', 'date', 'select')),
        options text[] NOT NULL DEFAULT '{}',
        required boolean NOT NULL DEFAULT false,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT custom_field_definition_key_uq UNIQUE (org_id, key)
      )`,
      `CREATE TABLE pond (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        name text NOT NULL,
        agent_ids uuid[] NOT NULL DEFAULT '{}',
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX pond_org_idx ON pond (org_id, created_at, id)`,
      `CREATE TABLE assignment_rule (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        name text NOT NULL,
        priority integer NOT NULL,
        conditions jsonb NOT NULL DEFAULT '{}',
        strategy text NOT NULL CHECK (strategy IN ('agent', 'round_robin', 'load_balanced', 'pond')),
        agent_ids uuid[] NOT NULL DEFAULT '{}',
        pond_id uuid REFERENCES pond (id),
        response_deadline_minutes integer,
        active boolean NOT NULL DEFAULT true,
        -- Round-robin position: read and advanced under the rule's row lock (docs/adr/0009).
        rr_position bigint NOT NULL DEFAULT 0,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        deleted_at timestamptz(3)
      )`,
      `CREATE INDEX assignment_rule_org_priority_idx ON assignment_rule (org_id, priority, id) WHERE deleted_at IS NULL`,
      `CREATE INDEX assignment_rule_pond_idx ON assignment_rule (pond_id)`,
      `CREATE TABLE contact (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        first_name text,
        last_name text,
        full_name text NOT NULL DEFAULT '',
        emails text[] NOT NULL DEFAULT '{}',
        phones text[] NOT NULL DEFAULT '{}',
        phone_suffixes text[] NOT NULL DEFAULT '{}',
        search_text text NOT NULL DEFAULT '',
        type text CHECK (type IN ('buyer', 'seller', 'renter', 'investor')),
        status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'contacted', 'qualified', 'nurturing', 'closed', 'lost')),
        score text NOT NULL DEFAULT 'cold' CHECK (score IN ('hot', 'warm', 'cold')),
        score_reasons jsonb NOT NULL DEFAULT '[]',
        score_override text CHECK (score_override IN ('hot', 'warm', 'cold')),
        owner_id uuid,
        -- The client user (portal login) this contact is; clients see only this record.
        client_user_id uuid,
        pond_id uuid REFERENCES pond (id),
        source text,
        referrer jsonb,
        tags text[] NOT NULL DEFAULT '{}',
        preferences jsonb NOT NULL DEFAULT '{}',
        street text,
        city text,
        state text,
        postal_code text,
        company_id uuid,
        last_contacted_at timestamptz(3),
        last_activity_at timestamptz(3),
        consent jsonb NOT NULL DEFAULT '{}',
        do_not_contact boolean NOT NULL DEFAULT false,
        custom_fields jsonb NOT NULL DEFAULT '{}',
        assigned_rule_id uuid REFERENCES assignment_rule (id),
        assignment_reason text,
        assigned_at timestamptz(3),
        respond_by timestamptz(3),
        engagement_count integer NOT NULL DEFAULT 0,
        created_by uuid,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        deleted_at timestamptz(3),
        merged_into_id uuid REFERENCES contact (id),
        erased_at timestamptz(3)
      )`,
      `CREATE INDEX contact_org_created_idx ON contact (org_id, created_at, id) WHERE deleted_at IS NULL`,
      `CREATE INDEX contact_org_updated_idx ON contact (org_id, updated_at, id) WHERE deleted_at IS NULL`,
      `CREATE INDEX contact_org_name_idx ON contact (org_id, full_name, id) WHERE deleted_at IS NULL`,
      `CREATE INDEX contact_org_last_contacted_idx ON contact (org_id, last_contacted_at, id) WHERE deleted_at IS NULL`,
      `CREATE INDEX contact_last_activity_idx ON contact (last_activity_at) WHERE deleted_at IS NULL AND last_activity_at IS NOT NULL`,
      `CREATE INDEX contact_owner_idx ON contact (owner_id, status) WHERE deleted_at IS NULL`,
      `CREATE INDEX contact_org_status_idx ON contact (org_id, status) WHERE deleted_at IS NULL`,
      `CREATE INDEX contact_org_score_idx ON contact (org_id, score) WHERE deleted_at IS NULL`,
      `CREATE INDEX contact_org_type_idx ON contact (org_id, type) WHERE deleted_at IS NULL`,
      `CREATE INDEX contact_org_source_idx ON contact (org_id, source) WHERE deleted_at IS NULL`,
      `CREATE INDEX contact_org_postal_code_idx ON contact (org_id, postal_code) WHERE deleted_at IS NULL`,
      `CREATE INDEX contact_pond_idx ON contact (pond_id, created_at) WHERE pond_id IS NOT NULL`,
      `CREATE INDEX contact_client_user_idx ON contact (client_user_id) WHERE client_user_id IS NOT NULL`,
      `CREATE INDEX contact_company_idx ON contact (company_id) WHERE company_id IS NOT NULL`,
      `CREATE INDEX contact_rule_idx ON contact (assigned_rule_id) WHERE assigned_rule_id IS NOT NULL`,
      `CREATE INDEX contact_merged_into_idx ON contact (merged_into_id) WHERE merged_into_id IS NOT NULL`,
      `CREATE INDEX contact_emails_idx ON contact USING gin (emails)`,
      `CREATE INDEX contact_phones_idx ON contact USING gin (phones)`,
      `CREATE INDEX contact_phone_suffixes_idx ON contact USING gin (phone_suffixes)`,
      `CREATE INDEX contact_tags_idx ON contact USING gin (tags)`,
      `CREATE INDEX contact_custom_fields_idx ON contact USING gin (custom_fields jsonb_path_ops)`,
      `CREATE INDEX contact_search_trgm_idx ON contact USING gin (search_text public.gin_trgm_ops)`,
      `CREATE TABLE contact_note (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        contact_id uuid NOT NULL REFERENCES contact (id),
        author_id uuid,
        body text NOT NULL,
        pinned boolean NOT NULL DEFAULT false,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        deleted_at timestamptz(3)
      )`,
      `CREATE INDEX contact_note_contact_idx ON contact_note (contact_id, pinned, created_at) WHERE deleted_at IS NULL`,
      `CREATE TABLE timeline_entry (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        contact_id uuid NOT NULL REFERENCES contact (id),
        kind text NOT NULL,
        occurred_at timestamptz(3) NOT NULL DEFAULT now(),
        actor_id uuid,
        data jsonb NOT NULL DEFAULT '{}'
      )`,
      `CREATE INDEX timeline_entry_contact_idx ON timeline_entry (contact_id, occurred_at, id)`,
      `CREATE TABLE form_submission (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        contact_id uuid NOT NULL REFERENCES contact (id),
        form_type text NOT NULL,
        answers jsonb NOT NULL DEFAULT '{}',
        utm jsonb NOT NULL DEFAULT '{}',
        source text,
        consent jsonb NOT NULL DEFAULT '{}',
        idempotency_key text,
        merged boolean NOT NULL,
        received_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX form_submission_contact_idx ON form_submission (contact_id)`,
      `CREATE UNIQUE INDEX form_submission_idempotency_uq ON form_submission (org_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
      `CREATE TABLE lead_event (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        contact_id uuid NOT NULL REFERENCES contact (id),
        source text NOT NULL,
        external_id text NOT NULL,
        type text NOT NULL,
        payload jsonb NOT NULL,
        merged boolean NOT NULL,
        occurred_at timestamptz(3) NOT NULL,
        received_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT lead_event_source_external_uq UNIQUE (org_id, source, external_id)
      )`,
      `CREATE INDEX lead_event_contact_idx ON lead_event (contact_id)`,
      `CREATE TABLE contact_assignment (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        contact_id uuid NOT NULL REFERENCES contact (id),
        agent_id uuid,
        pond_id uuid REFERENCES pond (id),
        rule_id uuid REFERENCES assignment_rule (id),
        strategy text NOT NULL,
        reason text NOT NULL,
        assigned_by uuid,
        assigned_at timestamptz(3) NOT NULL DEFAULT now(),
        respond_by timestamptz(3),
        ended_at timestamptz(3),
        end_reason text
      )`,
      `CREATE INDEX contact_assignment_contact_idx ON contact_assignment (contact_id, assigned_at)`,
      `CREATE INDEX contact_assignment_agent_idx ON contact_assignment (agent_id)`,
      `CREATE INDEX contact_assignment_rule_idx ON contact_assignment (rule_id)`,
      `CREATE INDEX contact_assignment_pond_idx ON contact_assignment (pond_id)`,
      // Smart lists: saved, named contact filters, personal or shared with a team.
      `CREATE TABLE smart_list (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        owner_id uuid NOT NULL,
        name text NOT NULL,
        filters jsonb NOT NULL DEFAULT '{}',
        team_id uuid,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX smart_list_owner_idx ON smart_list (org_id, owner_id, created_at, id)`,
      `CREATE INDEX smart_list_team_idx ON smart_list (team_id) WHERE team_id IS NOT NULL`,
      // Fairness ledger: assignments per agent per pool (a rule or a pond).
      `CREATE TABLE assignment_ledger (
        org_id uuid NOT NULL,
        pool_id uuid NOT NULL,
        agent_id uuid NOT NULL,
        assigned integer NOT NULL DEFAULT 0,
        last_assigned_at timestamptz(3),
        PRIMARY KEY (pool_id, agent_id)
      )`,
      `CREATE INDEX assignment_ledger_org_idx ON assignment_ledger (org_id)`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'smart_list',
      'assignment_ledger',
      'contact_assignment',
      'lead_event',
      'form_submission',
      'timeline_entry',
      'contact_note',
      'contact',
      'assignment_rule',
      'pond',
      'custom_field_definition',
      'org_user',
      'outbox_event',
      'inbox_event',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
