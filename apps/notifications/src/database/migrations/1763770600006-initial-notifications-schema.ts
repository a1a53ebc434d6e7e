import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxAndInboxDdl } from '@keyhouse/platform/messaging';

/**
 * The notifications schema, first slice of issue 14 (docs/adr/0035):
 * - `recipient`: read model of identity's users (email, name, role, status, teams), kept by the
 *   `notifications.recipients` consumer, so a send needs no call to identity;
 * - `notification`: one in-app notification of a user; `UNIQUE (recipient_user_id, type,
 *   source_event_id)` so a redelivered domain event never creates a second one;
 * - `delivery`: one channel of a notification (`UNIQUE (notification_id, channel)`), its status
 *   (only moves forward), the provider's message id, a reason code and the attempts;
 * - `email_event`: SendGrid Event Webhook events, `UNIQUE (sg_event_id)` (a batch delivered three
 *   times stores one set), linked to the notification and delivery by their custom args;
 * - `suppression`: addresses no email goes to (bounce, spam report, unsubscribe), one row per address;
 * - `local_email`: the local sink, where emails go when no SendGrid key is configured;
 * - the platform's outbox and inbox.
 */
export class InitialNotificationsSchema1763770600006 implements MigrationInterface {
  name = 'InitialNotificationsSchema1763770600006';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'notifications';
    const statements = [
      ...outboxAndInboxDdl(schema),
      `CREATE TABLE recipient (
        user_id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        email text NOT NULL,
        name text NOT NULL,
        role text NOT NULL,
        status text NOT NULL,
        team_ids text[] NOT NULL DEFAULT '{}',
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX recipient_org_idx ON recipient (org_id)`,
      `CREATE TABLE notification (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        recipient_user_id uuid NOT NULL,
        type text NOT NULL,
        title text NOT NULL,
        body text NOT NULL,
        data jsonb NOT NULL DEFAULT '{}',
        link text,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        read_at timestamptz(3),
        source_event_id text,
        CONSTRAINT notification_source_event_unique UNIQUE (recipient_user_id, type, source_event_id)
      )`,
      `CREATE INDEX notification_recipient_idx ON notification (org_id, recipient_user_id, created_at DESC, id DESC)`,
      `CREATE INDEX notification_unread_idx ON notification (org_id, recipient_user_id) WHERE read_at IS NULL`,
      `CREATE INDEX notification_org_idx ON notification (org_id, created_at DESC, id DESC)`,
      `CREATE TABLE delivery (
        id uuid PRIMARY KEY,
        notification_id uuid NOT NULL REFERENCES notification (id) ON DELETE CASCADE,
        org_id uuid NOT NULL,
        channel text NOT NULL CHECK (channel IN ('in_app', 'email', 'sms', 'push')),
        status text NOT NULL CHECK (status IN ('queued', 'unknown', 'sent', 'delivered', 'opened', 'bounced', 'failed', 'blocked')),
        to_address text,
        provider_message_id text,
        reason text,
        attempts integer NOT NULL DEFAULT 0,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        sent_at timestamptz(3),
        CONSTRAINT delivery_channel_unique UNIQUE (notification_id, channel)
      )`,
      `CREATE INDEX delivery_provider_message_idx ON delivery (provider_message_id) WHERE provider_message_id IS NOT NULL`,
      `CREATE TABLE email_event (
        id uuid PRIMARY KEY,
        sg_event_id text NOT NULL UNIQUE,
        event text NOT NULL,
        bounce_type text,
        email text NOT NULL,
        occurred_at timestamptz(3) NOT NULL,
        org_id uuid,
        notification_id uuid,
        delivery_id uuid,
        sg_message_id text,
        reason text,
        payload jsonb NOT NULL,
        received_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX email_event_delivery_idx ON email_event (delivery_id, occurred_at)`,
      `CREATE TABLE suppression (
        id uuid PRIMARY KEY,
        email text NOT NULL UNIQUE,
        reason text NOT NULL,
        sg_event_id text NOT NULL,
        org_id uuid,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE local_email (
        id uuid PRIMARY KEY,
        delivery_id uuid NOT NULL UNIQUE,
        org_id uuid NOT NULL,
        to_address text NOT NULL,
        from_address text NOT NULL,
        subject text NOT NULL,
        text_body text NOT NULL,
        html_body text NOT NULL,
        custom_args jsonb NOT NULL,
        categories text[] NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'outbox_event',
      'inbox_event',
      'local_email',
      'suppression',
      'email_event',
      'delivery',
      'notification',
      'recipient',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
