import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notifications to contacts (issue 14, docs/adr/0035 "Contacts: notifications, consent, email activity"):
 * - `contact_recipient`: read model of crm's contacts (owner agent, primary email lower-cased,
 *   primary phone in E.164 or null, email / SMS consent as crm's latest decision — true granted,
 *   false withdrawn, null never asked — and do-not-contact), kept by the `notifications.contacts`
 *   consumer from `crm.contact.*`; a deleted or merged-away contact keeps its row with
 *   `deleted_at` (nothing is sent to it), an erased one loses it;
 * - `notification.recipient_contact_id`: a notification is for a user (`recipient_user_id`, now
 *   nullable) or for a contact, exactly one (`notification_recipient_one`). Dedupe: the existing
 *   `notification_source_event_unique (recipient_user_id, type, source_event_id)` keeps covering
 *   user notifications (NULLs are distinct, so contact rows never collide in it) and the new
 *   `notification_contact_source_event_unique (recipient_contact_id, type, source_event_id)` covers
 *   contact notifications the same way (user rows have a NULL contact id); both stay constraints,
 *   so `ON CONFLICT ON CONSTRAINT` names them;
 * - indexes for a contact's notifications and for the email activity (email events by delivery).
 */
export class ContactNotifications1765320000000 implements MigrationInterface {
  name = 'ContactNotifications1765320000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE contact_recipient (
        contact_id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        owner_id uuid,
        email text,
        phone text,
        email_consent boolean,
        sms_consent boolean,
        do_not_contact boolean NOT NULL DEFAULT false,
        deleted_at timestamptz(3),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX contact_recipient_org_email_idx ON contact_recipient (org_id, email) WHERE email IS NOT NULL`,
      `CREATE INDEX contact_recipient_org_phone_idx ON contact_recipient (org_id, phone) WHERE phone IS NOT NULL`,
      `ALTER TABLE notification ALTER COLUMN recipient_user_id DROP NOT NULL`,
      `ALTER TABLE notification ADD COLUMN recipient_contact_id uuid`,
      `ALTER TABLE notification ADD CONSTRAINT notification_recipient_one CHECK (num_nonnulls(recipient_user_id, recipient_contact_id) = 1)`,
      `ALTER TABLE notification ADD CONSTRAINT notification_contact_source_event_unique UNIQUE (recipient_contact_id, type, source_event_id)`,
      `CREATE INDEX notification_contact_idx ON notification (org_id, recipient_contact_id, created_at DESC, id DESC) WHERE recipient_contact_id IS NOT NULL`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS notification_contact_idx`);
    await queryRunner.query(`ALTER TABLE notification DROP CONSTRAINT IF EXISTS notification_contact_source_event_unique`);
    await queryRunner.query(`ALTER TABLE notification DROP CONSTRAINT IF EXISTS notification_recipient_one`);
    await queryRunner.query(`DELETE FROM notification WHERE recipient_contact_id IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE notification DROP COLUMN IF EXISTS recipient_contact_id`);
    await queryRunner.query(`ALTER TABLE notification ALTER COLUMN recipient_user_id SET NOT NULL`);
    await queryRunner.query(`DROP TABLE IF EXISTS contact_recipient`);
  }
}
