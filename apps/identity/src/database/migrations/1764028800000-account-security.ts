import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Account security (issue 13 items 3, 5, 8):
 * - `local_mail.secrets`: the token and link of a recorded message, kept apart from what the
 *   mailbox shows (`text` and `variables` hold `[redacted]` instead) and only while identity runs
 *   with `IDENTITY_LOCAL_MAILBOX_SECRETS` (never in production); messages recorded before are
 *   redacted here;
 * - `mfa_failure`: one row per wrong second-factor code, for the per-account limit;
 * - `one_time_token.purpose` `login_unlock`: the emailed sign-in link past a login throttle.
 */
export class AccountSecurity1764028800000 implements MigrationInterface {
  name = 'AccountSecurity1764028800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `ALTER TABLE local_mail ADD COLUMN IF NOT EXISTS secrets jsonb`,
      `UPDATE local_mail
          SET text = regexp_replace(text, '\\S*[?&]token=\\S*', '[redacted]', 'g'),
              variables = variables
                || CASE WHEN variables ? 'token' THEN '{"token": "[redacted]"}'::jsonb ELSE '{}'::jsonb END
                || CASE WHEN variables ? 'link' THEN '{"link": "[redacted]"}'::jsonb ELSE '{}'::jsonb END
        WHERE variables ?| array['token', 'link']`,
      `CREATE TABLE IF NOT EXISTS mfa_failure (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES app_user(id),
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX IF NOT EXISTS idx_mfa_failure_user_created ON mfa_failure (user_id, created_at)`,
      `CREATE INDEX IF NOT EXISTS idx_mfa_failure_created ON mfa_failure (created_at)`,
      `ALTER TABLE one_time_token DROP CONSTRAINT IF EXISTS one_time_token_purpose_check`,
      `ALTER TABLE one_time_token ADD CONSTRAINT one_time_token_purpose_check
         CHECK (purpose IN ('password_reset', 'email_verification', 'mfa_login', 'invitation', 'login_unlock'))`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `DELETE FROM one_time_token WHERE purpose = 'login_unlock'`,
      `ALTER TABLE one_time_token DROP CONSTRAINT IF EXISTS one_time_token_purpose_check`,
      `ALTER TABLE one_time_token ADD CONSTRAINT one_time_token_purpose_check
         CHECK (purpose IN ('password_reset', 'email_verification', 'mfa_login', 'invitation'))`,
      `DROP TABLE IF EXISTS mfa_failure`,
      `ALTER TABLE local_mail DROP COLUMN IF EXISTS secrets`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }
}
