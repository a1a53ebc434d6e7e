/**
 * Row shapes of the notifications service's schema `notifications`, generated from its migrations
 * by `node deploy/db-types.js` (kysely-codegen; docs/adr/0027). Do not edit: change a migration (or
 * notifications.db-overrides.json) and run the command again; `npm test` fails when this file is stale.
 */
import type { PlatformDb } from '@keyhouse/platform/messaging';
import type { EmailCustomArgs, EmailEventPayload, NotificationData } from './notifications-json.type';
import type { NotificationChannel, NotificationDeliveryStatus } from '@keyhouse/contracts';
import type { Generated, JsonColumn, Timestamp } from '@keyhouse/platform/database';

export interface ContactRecipient {
  contact_id: string;
  deleted_at: Timestamp | null;
  do_not_contact: Generated<boolean>;
  email: string | null;
  email_consent: boolean | null;
  org_id: string;
  owner_id: string | null;
  phone: string | null;
  sms_consent: boolean | null;
  updated_at: Generated<Timestamp>;
}

export interface Delivery {
  attempts: Generated<number>;
  channel: NotificationChannel;
  created_at: Generated<Timestamp>;
  id: string;
  notification_id: string;
  org_id: string;
  provider_message_id: string | null;
  reason: string | null;
  reconcile_attempts: Generated<number>;
  scheduled_for: Timestamp | null;
  send_started_at: Timestamp | null;
  sent_at: Timestamp | null;
  status: NotificationDeliveryStatus;
  to_address: string | null;
  updated_at: Generated<Timestamp>;
}

export interface EmailEvent {
  bounce_type: string | null;
  delivery_id: string | null;
  email: string;
  event: string;
  id: string;
  notification_id: string | null;
  occurred_at: Timestamp;
  org_id: string | null;
  payload: JsonColumn<EmailEventPayload>;
  reason: string | null;
  received_at: Generated<Timestamp>;
  sg_event_id: string;
  sg_message_id: string | null;
}

export interface LocalEmail {
  categories: string[];
  created_at: Generated<Timestamp>;
  custom_args: JsonColumn<EmailCustomArgs>;
  delivery_id: string;
  from_address: string;
  html_body: string;
  id: string;
  org_id: string;
  subject: string;
  text_body: string;
  to_address: string;
}

export interface Notification {
  body: string;
  created_at: Generated<Timestamp>;
  data: Generated<JsonColumn<NotificationData>>;
  id: string;
  link: string | null;
  org_id: string;
  read_at: Timestamp | null;
  recipient_contact_id: string | null;
  recipient_user_id: string | null;
  source_event_id: string | null;
  title: string;
  type: string;
}

export interface NotificationPreference {
  channel: string;
  enabled: boolean;
  org_id: string;
  source: string;
  type: string;
  updated_at: Generated<Timestamp>;
  user_id: string;
}

export interface NotificationTrigger {
  channels: string[] | null;
  enabled: boolean;
  org_id: string;
  type: string;
  updated_at: Generated<Timestamp>;
  updated_by: string | null;
}

export interface OrgBranding {
  display_name: string | null;
  logo_url: string | null;
  name: string | null;
  org_id: string;
  primary_color: string | null;
  secondary_color: string | null;
  updated_at: Generated<Timestamp>;
}

export interface OrgChannelDefault {
  channel: string;
  enabled: boolean;
  org_id: string;
  type: string;
}

export interface OrgEmailTemplate {
  kind: string;
  org_id: string;
  sendgrid_template_id: string;
  updated_at: Generated<Timestamp>;
  updated_by: string | null;
}

export interface OrgNotificationSettings {
  mandatory_types: Generated<string[]>;
  org_id: string;
  time_zone: string | null;
  updated_at: Generated<Timestamp>;
  updated_by: string | null;
}

export interface PushDevice {
  created_at: Generated<Timestamp>;
  id: string;
  name: string | null;
  org_id: string;
  platform: string;
  token: string;
  updated_at: Generated<Timestamp>;
  user_id: string;
}

export interface PushSend {
  created_at: Generated<Timestamp>;
  delivery_id: string;
  message_name: string | null;
  outcome: string;
  token: string;
}

export interface QuietHours {
  end_local: string;
  org_id: string;
  start_local: string;
  time_zone: string | null;
  updated_at: Generated<Timestamp>;
  user_id: string;
}

export interface Recipient {
  email: string;
  name: string;
  org_id: string;
  phone: string | null;
  role: string;
  status: string;
  team_ids: Generated<string[]>;
  timezone: string | null;
  updated_at: Generated<Timestamp>;
  user_id: string;
}

export interface SmsInbound {
  body: string;
  from_number: string;
  id: string;
  kind: string;
  message_sid: string;
  org_id: string | null;
  received_at: Generated<Timestamp>;
  to_number: string;
}

export interface SmsOptOut {
  created_at: Generated<Timestamp>;
  keyword: string | null;
  message_sid: string | null;
  phone: string;
  sender: string;
  source: string;
}

export interface Suppression {
  created_at: Generated<Timestamp>;
  email: string;
  id: string;
  org_id: string | null;
  reason: string;
  sg_event_id: string;
}

export interface TriggerTransaction {
  agent_id: string;
  org_id: string;
  team_agent_ids: Generated<string[]>;
  transaction_id: string;
  updated_at: Generated<Timestamp>;
}

export interface NotificationsDb extends PlatformDb {
  contact_recipient: ContactRecipient;
  delivery: Delivery;
  email_event: EmailEvent;
  local_email: LocalEmail;
  notification: Notification;
  notification_preference: NotificationPreference;
  notification_trigger: NotificationTrigger;
  org_branding: OrgBranding;
  org_channel_default: OrgChannelDefault;
  org_email_template: OrgEmailTemplate;
  org_notification_settings: OrgNotificationSettings;
  push_device: PushDevice;
  push_send: PushSend;
  quiet_hours: QuietHours;
  recipient: Recipient;
  sms_inbound: SmsInbound;
  sms_opt_out: SmsOptOut;
  suppression: Suppression;
  trigger_transaction: TriggerTransaction;
}
