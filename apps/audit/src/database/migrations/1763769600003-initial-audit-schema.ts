import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxAndInboxDdl } from '@keyhouse/platform/messaging';

/**
 * The audit schema (docs/adr/0015): the outbox and the inbox; `audit_entry`, the append-only,
 * per-organization hash chain; `audit_checkpoint`, the chain heads taken by the checkpoint job (also
 * append-only); `audit_org_setting` (per-organization reading and retention settings) and
 * `audit_org_member` (user → teams read model fed by identity events, for managers' team scope);
 * `audit_archive` (append-only record of each retention archive written: seq range, hashes, file).
 *
 * Tamper resistance: a trigger refuses UPDATE, DELETE and TRUNCATE on the append-only tables for
 * every role. Migrations run as the schema owner `keyhouse_audit_owner` (docs/adr/0020), which also
 * revokes UPDATE, DELETE and TRUNCATE from itself here; the runtime role `keyhouse_audit` gets
 * SELECT and INSERT only (`AUDIT_RUNTIME_GRANTS`). A superuser or the owner can still disable the
 * trigger or re-grant; `verify` (hash chain + signed external checkpoints) detects such edits.
 */
export class InitialAuditSchema1763769600003 implements MigrationInterface {
  name = 'InitialAuditSchema1763769600003';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'audit';
    const s = `"${schema}"`;
    const statements = [
      ...outboxAndInboxDdl(schema),
      `CREATE TABLE IF NOT EXISTS ${s}.audit_entry (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        seq bigint NOT NULL CHECK (seq >= 1),
        event_id text NOT NULL,
        action text NOT NULL,
        actor_type text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system')),
        actor_id text,
        actor_role text,
        target_model text NOT NULL,
        target_id text,
        occurred_at timestamptz(3) NOT NULL,
        recorded_at timestamptz(3) NOT NULL,
        source text NOT NULL,
        request_id text,
        ip text,
        user_agent text,
        changes jsonb,
        details jsonb,
        prev_hash text NOT NULL,
        hash text NOT NULL,
        CONSTRAINT uq_audit_entry_org_seq UNIQUE (org_id, seq),
        CONSTRAINT uq_audit_entry_event_id UNIQUE (event_id)
      )`,
      `CREATE INDEX IF NOT EXISTS idx_audit_entry_actor ON ${s}.audit_entry (org_id, actor_id, seq)`,
      `CREATE INDEX IF NOT EXISTS idx_audit_entry_action ON ${s}.audit_entry (org_id, action, seq)`,
      `CREATE INDEX IF NOT EXISTS idx_audit_entry_target ON ${s}.audit_entry (org_id, target_model, target_id, seq)`,
      `CREATE INDEX IF NOT EXISTS idx_audit_entry_occurred_at ON ${s}.audit_entry (org_id, occurred_at)`,
      `CREATE INDEX IF NOT EXISTS idx_audit_entry_recorded_at ON ${s}.audit_entry (org_id, recorded_at)`,
      `CREATE TABLE IF NOT EXISTS ${s}.audit_checkpoint (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        seq bigint NOT NULL,
        hash text NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT uq_audit_checkpoint_org_seq UNIQUE (org_id, seq)
      )`,
      `CREATE TABLE IF NOT EXISTS ${s}.audit_archive (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        from_seq bigint NOT NULL,
        to_seq bigint NOT NULL,
        entry_count integer NOT NULL,
        prev_hash text NOT NULL,
        head_hash text NOT NULL,
        location text NOT NULL,
        file_sha256 text NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT uq_audit_archive_org_from UNIQUE (org_id, from_seq)
      )`,
      `CREATE TABLE IF NOT EXISTS ${s}.audit_org_setting (
        org_id uuid PRIMARY KEY,
        managers_may_read boolean NOT NULL DEFAULT false,
        retention_days integer CHECK (retention_days IS NULL OR retention_days >= 30),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE IF NOT EXISTS ${s}.audit_org_member (
        org_id uuid NOT NULL,
        user_id text NOT NULL,
        team_ids text[] NOT NULL DEFAULT '{}',
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, user_id)
      )`,
      `CREATE INDEX IF NOT EXISTS idx_audit_org_member_teams ON ${s}.audit_org_member USING gin (team_ids)`,
      `CREATE OR REPLACE FUNCTION ${s}.audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'audit trail is append-only: % on %.% refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
           USING ERRCODE = 'insufficient_privilege';
       END $$`,
    ];
    for (const table of ['audit_entry', 'audit_checkpoint', 'audit_archive']) {
      statements.push(
        `DROP TRIGGER IF EXISTS trg_${table}_no_update_delete ON ${s}.${table}`,
        `CREATE TRIGGER trg_${table}_no_update_delete BEFORE UPDATE OR DELETE ON ${s}.${table}
           FOR EACH ROW EXECUTE FUNCTION ${s}.audit_refuse_change()`,
        `DROP TRIGGER IF EXISTS trg_${table}_no_truncate ON ${s}.${table}`,
        `CREATE TRIGGER trg_${table}_no_truncate BEFORE TRUNCATE ON ${s}.${table}
           FOR EACH STATEMENT EXECUTE FUNCTION ${s}.audit_refuse_change()`,
        `REVOKE UPDATE, DELETE, TRUNCATE ON ${s}.${table} FROM PUBLIC, CURRENT_USER`,
      );
    }
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'audit_org_member',
      'audit_org_setting',
      'audit_archive',
      'audit_checkpoint',
      'audit_entry',
      'outbox_event',
      'inbox_event',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await queryRunner.query(`DROP FUNCTION IF EXISTS audit_refuse_change()`);
  }
}
