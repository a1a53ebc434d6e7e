import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxAndInboxDdl } from '@keyhouse/platform/messaging';

/**
 * Organizations, users, agents, teams, roles, sessions, 2FA, API keys, signing keys, the local
 * mailbox, and the outbox. Every foreign key and every column a list filters or sorts by is indexed.
 */
export class InitialIdentitySchema1763683200000 implements MigrationInterface {
  name = 'InitialIdentitySchema1763683200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE organization (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        display_name text,
        logo_url text,
        primary_color text,
        secondary_color text,
        affiliate_rate_bps integer NOT NULL DEFAULT 0 CHECK (affiliate_rate_bps BETWEEN 0 AND 10000),
        mfa_required_roles text[] NOT NULL DEFAULT '{}',
        session_lifetime_minutes integer NOT NULL DEFAULT 43200,
        public_form_key text NOT NULL UNIQUE,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE app_user (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id),
        email citext NOT NULL UNIQUE,
        name text NOT NULL,
        phone text,
        password_hash text,
        role text NOT NULL,
        status text NOT NULL CHECK (status IN ('active', 'invited', 'deactivated')),
        timezone text NOT NULL DEFAULT 'UTC',
        language text NOT NULL DEFAULT 'en-US',
        notification_preferences jsonb NOT NULL DEFAULT '{"email": true, "sms": false, "inApp": true}',
        mfa_enabled boolean NOT NULL DEFAULT false,
        mfa_secret_enc text,
        mfa_pending_secret_enc text,
        mfa_last_time_step bigint,
        email_verified_at timestamptz(3),
        last_login_at timestamptz(3),
        deactivated_at timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX idx_app_user_org_created ON app_user (org_id, created_at, id)`,
      `CREATE INDEX idx_app_user_org_role ON app_user (org_id, role)`,
      `CREATE INDEX idx_app_user_org_status ON app_user (org_id, status)`,
      `CREATE INDEX idx_app_user_name_trgm ON app_user USING gin (name gin_trgm_ops)`,
      `CREATE INDEX idx_app_user_email_trgm ON app_user USING gin ((email::text) gin_trgm_ops)`,
      `CREATE TABLE team (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id),
        name text NOT NULL,
        manager_id uuid REFERENCES app_user(id),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE UNIQUE INDEX uq_team_org_name ON team (org_id, lower(name))`,
      `CREATE INDEX idx_team_org_created ON team (org_id, created_at, id)`,
      `CREATE INDEX idx_team_manager ON team (manager_id)`,
      `CREATE TABLE team_member (
        team_id uuid NOT NULL REFERENCES team(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES app_user(id),
        org_id uuid NOT NULL REFERENCES organization(id),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (team_id, user_id)
      )`,
      `CREATE INDEX idx_team_member_user ON team_member (user_id)`,
      `CREATE INDEX idx_team_member_org ON team_member (org_id)`,
      `CREATE TABLE custom_role (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id),
        key text NOT NULL,
        name text NOT NULL,
        permissions text[] NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        UNIQUE (org_id, key)
      )`,
      `CREATE TABLE agent_profile (
        user_id uuid PRIMARY KEY REFERENCES app_user(id),
        org_id uuid NOT NULL REFERENCES organization(id),
        license_number text,
        license_state text,
        regions text[] NOT NULL DEFAULT '{}',
        languages text[] NOT NULL DEFAULT '{}',
        capacity integer NOT NULL DEFAULT 25 CHECK (capacity >= 0),
        working_hours jsonb,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX idx_agent_profile_org_created ON agent_profile (org_id, created_at, user_id)`,
      `CREATE INDEX idx_agent_profile_regions ON agent_profile USING gin (regions)`,
      `CREATE INDEX idx_agent_profile_languages ON agent_profile USING gin (languages)`,
      `CREATE TABLE refresh_token (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id),
        user_id uuid NOT NULL REFERENCES app_user(id),
        family_id uuid NOT NULL,
        token_hash text NOT NULL UNIQUE,
        expires_at timestamptz(3) NOT NULL,
        used_at timestamptz(3),
        revoked_at timestamptz(3),
        ip text,
        user_agent text,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX idx_refresh_token_user ON refresh_token (user_id)`,
      `CREATE INDEX idx_refresh_token_family ON refresh_token (family_id)`,
      `CREATE INDEX idx_refresh_token_org ON refresh_token (org_id)`,
      `CREATE INDEX idx_refresh_token_expires ON refresh_token (expires_at)`,
      `CREATE TABLE one_time_token (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES app_user(id),
        purpose text NOT NULL CHECK (purpose IN ('password_reset', 'email_verification', 'mfa_login', 'invitation')),
        token_hash text NOT NULL UNIQUE,
        failed_attempts integer NOT NULL DEFAULT 0,
        expires_at timestamptz(3) NOT NULL,
        used_at timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX idx_one_time_token_user ON one_time_token (user_id, purpose)`,
      `CREATE INDEX idx_one_time_token_expires ON one_time_token (expires_at)`,
      `CREATE TABLE login_attempt (
        id uuid PRIMARY KEY,
        email text NOT NULL,
        user_id uuid REFERENCES app_user(id),
        succeeded boolean NOT NULL,
        ip text,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX idx_login_attempt_email_created ON login_attempt (email, created_at)`,
      `CREATE INDEX idx_login_attempt_user ON login_attempt (user_id)`,
      `CREATE TABLE mfa_recovery_code (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES app_user(id),
        code_hash text NOT NULL,
        used_at timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX idx_mfa_recovery_code_user ON mfa_recovery_code (user_id)`,
      `CREATE TABLE api_key (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organization(id),
        name text NOT NULL,
        prefix text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        scopes text[] NOT NULL,
        created_by uuid NOT NULL REFERENCES app_user(id),
        last_used_at timestamptz(3),
        revoked_at timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX idx_api_key_org_created ON api_key (org_id, created_at, id)`,
      `CREATE INDEX idx_api_key_created_by ON api_key (created_by)`,
      `CREATE TABLE signing_key (
        kid text PRIMARY KEY,
        private_jwk_enc text NOT NULL,
        public_jwk jsonb NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        retired_at timestamptz(3)
      )`,
      `CREATE TABLE token_revocation (
        id bigserial PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('session', 'user')),
        subject_id uuid NOT NULL,
        not_before_ms bigint NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX idx_token_revocation_created ON token_revocation (created_at)`,
      `CREATE TABLE local_mail (
        id uuid PRIMARY KEY,
        org_id uuid REFERENCES organization(id),
        to_address citext NOT NULL,
        subject text NOT NULL,
        text text NOT NULL,
        template text NOT NULL,
        variables jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX idx_local_mail_org_created ON local_mail (org_id, created_at, id)`,
      `CREATE INDEX idx_local_mail_to ON local_mail (to_address)`,
      ...outboxAndInboxDdl((queryRunner.connection.options as { schema?: string }).schema ?? 'identity'),
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'local_mail',
      'token_revocation',
      'signing_key',
      'api_key',
      'mfa_recovery_code',
      'login_attempt',
      'one_time_token',
      'refresh_token',
      'agent_profile',
      'custom_role',
      'team_member',
      'team',
      'app_user',
      'organization',
      'outbox_event',
      'inbox_event',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table} CASCADE`);
    }
  }
}
