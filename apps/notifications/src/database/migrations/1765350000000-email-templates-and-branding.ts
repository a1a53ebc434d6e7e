import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SendGrid dynamic templates per organization and the organization's branding in emails (issue 14;
 * docs/adr/0035 "Email templates and branding"):
 * - `org_branding`: read model of identity's organization (`identity.organization.created` /
 *   `.updated`, consumer group `notifications.branding`): name and the branding
 *   `{ displayName, logoUrl, primaryColor, secondaryColor }`; colours `#RRGGBB`, logo an https URL
 *   (anything else is stored as null, it goes into HTML and CSS);
 * - `org_email_template`: the organization's SendGrid dynamic template id per notification type
 *   (`d-` + 32 lowercase hex); no row = the built-in default template.
 */
export class EmailTemplatesAndBranding1765350000000 implements MigrationInterface {
  name = 'EmailTemplatesAndBranding1765350000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE org_branding (
        org_id uuid PRIMARY KEY,
        name text,
        display_name text,
        logo_url text CHECK (logo_url IS NULL OR logo_url LIKE 'https://%'),
        primary_color text CHECK (primary_color IS NULL OR primary_color ~ '^#[0-9A-Fa-f]{6}$'),
        secondary_color text CHECK (secondary_color IS NULL OR secondary_color ~ '^#[0-9A-Fa-f]{6}$'),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE org_email_template (
        org_id uuid NOT NULL,
        kind text NOT NULL,
        sendgrid_template_id text NOT NULL CHECK (sendgrid_template_id ~ '^d-[0-9a-f]{32}$'),
        updated_by uuid,
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, kind)
      )`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS org_email_template`);
    await queryRunner.query(`DROP TABLE IF EXISTS org_branding`);
  }
}
