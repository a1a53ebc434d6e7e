import type { Type } from '@nestjs/common';
import { NotificationsHttpController, SendgridWebhookHttpController, TwilioWebhookHttpController } from './notifications.http.controller';
import { NotificationTriggersHttpController } from './notification-triggers.http.controller';
import { NotificationTemplatesHttpController } from './notification-templates.http.controller';
import { DevicesHttpController } from './devices.http.controller';
import { NotificationPreferencesHttpController, NotificationSettingsHttpController } from './notification-preferences.http.controller';

export { SendgridRawBodyCapture } from './sendgrid-raw-body.service';

/** HTTP controllers of the notifications routes (in-app notifications, history, the SendGrid Event Webhook, Twilio's status and inbound webhooks); listed in `API_CONTROLLERS`. */
export const NOTIFICATIONS_HTTP_CONTROLLERS: Type[] = [
  NotificationsHttpController,
  SendgridWebhookHttpController,
  TwilioWebhookHttpController,
  NotificationTriggersHttpController,
  NotificationTemplatesHttpController,
  NotificationPreferencesHttpController,
  NotificationSettingsHttpController,
  DevicesHttpController,
];
