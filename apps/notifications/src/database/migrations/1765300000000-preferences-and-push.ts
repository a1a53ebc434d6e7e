import type { MigrationInterface, QueryRunner } from 'typeorm';

const CHANNELS = `('in_app', 'email', 'sms', 'push')`;
const LOCAL_TIME = `'^([01][0-9]|2[0-3]):[0-5][0-9]$'`;

/**
 * Preferences, organization defaults, mandatory types, quiet hours and the push channel (issue 14;
 * docs/adr/0035 "Preferences, quiet hours and push"):
 * - `notification_preference`: a user's channel switch per notification type (`type = '*'`: every
 *   type, the channel switches identity's `notificationPreferences` carries, `source = 'identity'`);
 * - `quiet_hours`: a user's window (`HH:mm` local start and end, end exclusive, IANA time zone or
 *   null for the user's / organization's zone) inside which SMS and push wait for the window's end;
 * - `org_notification_settings`: per organization the mandatory types and the default time zone;
 * - `org_channel_default`: the organization's default per type and channel (absent: the trigger's
 *   `defaultChannels`);
 * - `push_device`: FCM registration tokens of users, `UNIQUE (token)` (a token belongs to one device);
 * - `push_send`: what each device token of a push delivery answered, so a retried job (another
 *   token answered 503) never sends twice to a token that already has an outcome;
 * - `recipient.timezone` (identity's `timezone` of the user) and `delivery.scheduled_for` (a
 *   deferred SMS or push delivery's send time, UTC).
 */
export class PreferencesAndPush1765300000000 implements MigrationInterface {
  name = 'PreferencesAndPush1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `ALTER TABLE recipient ADD COLUMN timezone text`,
      `ALTER TABLE delivery ADD COLUMN scheduled_for timestamptz(3)`,
      `CREATE TABLE notification_preference (
        user_id uuid NOT NULL,
        org_id uuid NOT NULL,
        type text NOT NULL,
        channel text NOT NULL CHECK (channel IN ${CHANNELS}),
        enabled boolean NOT NULL,
        source text NOT NULL CHECK (source IN ('user', 'identity')),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, type, channel)
      )`,
      `CREATE TABLE quiet_hours (
        user_id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        start_local text NOT NULL CHECK (start_local ~ ${LOCAL_TIME}),
        end_local text NOT NULL CHECK (end_local ~ ${LOCAL_TIME}),
        time_zone text,
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE org_notification_settings (
        org_id uuid PRIMARY KEY,
        mandatory_types text[] NOT NULL DEFAULT '{}',
        time_zone text,
        updated_by uuid,
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE org_channel_default (
        org_id uuid NOT NULL,
        type text NOT NULL,
        channel text NOT NULL CHECK (channel IN ${CHANNELS}),
        enabled boolean NOT NULL,
        PRIMARY KEY (org_id, type, channel)
      )`,
      `CREATE TABLE push_device (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        user_id uuid NOT NULL,
        token text NOT NULL,
        platform text NOT NULL CHECK (platform IN ('ios', 'android', 'web')),
        name text,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT push_device_token_unique UNIQUE (token)
      )`,
      `CREATE INDEX push_device_user_idx ON push_device (org_id, user_id, created_at, id)`,
      `CREATE TABLE push_send (
        delivery_id uuid NOT NULL REFERENCES delivery (id) ON DELETE CASCADE,
        token text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('sent', 'unknown', 'invalid_token', 'rejected')),
        message_name text,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (delivery_id, token)
      )`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'push_send',
      'push_device',
      'org_channel_default',
      'org_notification_settings',
      'quiet_hours',
      'notification_preference',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await queryRunner.query(`ALTER TABLE delivery DROP COLUMN IF EXISTS scheduled_for`);
    await queryRunner.query(`ALTER TABLE recipient DROP COLUMN IF EXISTS timezone`);
  }
}
