import { type DynamicModule, Module } from '@nestjs/common';
import { NOTIFICATIONS_EVENTS_TOPIC } from '@keyhouse/contracts';
import { QueueModule } from '@keyhouse/platform/queue';
import { ServiceCoreModule } from '@keyhouse/platform/service';
import { NOTIFICATIONS_CONFIG, type NotificationsConfig } from './config/notifications.config';
import { NOTIFICATIONS_MIGRATIONS } from './database/notifications-migrations.constant';
import { DeliveryStatusService } from './modules/email/delivery-status.service';
import { NOTIFICATIONS_EMAIL_QUEUE } from './modules/email/email-queue.constant';
import { EmailSendJob, SENDGRID_MAIL, sendgridMailOf } from './modules/email/email-send.job';
import { ContactEmailActivityService } from './modules/contacts/contact-email-activity.service';
import { ContactNotificationService } from './modules/contacts/contact-notification.service';
import { ContactRecipientsConsumer } from './modules/contacts/contact-recipients.consumer';
import { ContactDirectedTriggersConsumer } from './modules/contacts/contact-directed-triggers.consumer';
import { NotificationsService } from './modules/inbox/notifications.service';
import { NotificationsRealtimeConsumer } from './modules/realtime/notifications-realtime.consumer';
import { RealtimePushService } from './modules/realtime/realtime-push.service';
import { RecipientsConsumer } from './modules/recipients/recipients.consumer';
import { ChannelPreferencesService } from './modules/preferences/channel-preferences.service';
import { NotificationPreferencesService } from './modules/preferences/notification-preferences.service';
import { PushDevicesService } from './modules/push/push-devices.service';
import { NOTIFICATIONS_PUSH_QUEUE } from './modules/push/push-queue.constant';
import { FCM_PUSH, PushSendJob, fcmPushOf } from './modules/push/push-send.job';
import { NotificationDispatchService } from './modules/triggers/notification-dispatch.service';
import { NotificationTriggersConsumer } from './modules/triggers/notification-triggers.consumer';
import { ContactTriggersConsumer } from './modules/triggers/contact-triggers.consumer';
import { DealTriggersConsumer } from './modules/triggers/deal-triggers.consumer';
import { TriggerNotifier } from './modules/triggers/trigger-notifier.service';
import { TriggerSettingsService } from './modules/trigger-settings/trigger-settings.service';
import { reconcileProviders } from './modules/reconcile/delivery-reconcile.job';
import { NOTIFICATIONS_RECONCILE_QUEUE } from './modules/reconcile/reconcile-queue.constant';
import { SmsOptOutService } from './modules/sms/sms-opt-out.service';
import { NOTIFICATIONS_SMS_QUEUE } from './modules/sms/sms-queue.constant';
import { SmsSendJob, TWILIO_SMS, twilioSmsOf } from './modules/sms/sms-send.job';
import { SendgridWebhookService } from './modules/webhooks/sendgrid-webhook.service';
import { TwilioWebhookService } from './modules/webhooks/twilio-webhook.service';
import { EmailTemplatesService } from './modules/templates/email-templates.service';
import { OrgBrandingConsumer } from './modules/templates/org-branding.consumer';

export const NOTIFICATIONS_SERVICE_NAME = 'notifications';

/**
 * The notifications service (issue 14, first slice; docs/adr/0035): the recipients read model
 * (`@OnEvent` on identity.events), the built-in triggers (`@OnEvent` on crm.events) creating
 * in-app notifications and email deliveries, the email channel (Bull queue `notifications.email`,
 * SendGrid through `@sendgrid/mail` or the local sink), NATS responders for the in-app list, read
 * marks and the history, the verified SendGrid Event Webhook, the SMS channel (Bull queue
 * `notifications.sms`, Twilio through `twilio`; off without `TWILIO_ACCOUNT_SID`) and the verified
 * Twilio status and inbound webhooks; health and metrics on HEALTH_PORT.
 */
@Module({})
export class NotificationsAppModule {
  static forRoot(config: NotificationsConfig): DynamicModule {
    return {
      module: NotificationsAppModule,
      imports: [
        ServiceCoreModule.forRoot({
          serviceName: NOTIFICATIONS_SERVICE_NAME,
          platform: config,
          database: {
            url: config.NOTIFICATIONS_DATABASE_URL,
            schema: config.NOTIFICATIONS_DATABASE_SCHEMA,
            migrations: NOTIFICATIONS_MIGRATIONS,
          },
          opsToken: config.OPS_TOKEN,
          eventTopic: NOTIFICATIONS_EVENTS_TOPIC,
        }),
        QueueModule.registerQueues(
          NOTIFICATIONS_EMAIL_QUEUE,
          NOTIFICATIONS_SMS_QUEUE,
          NOTIFICATIONS_RECONCILE_QUEUE,
          NOTIFICATIONS_PUSH_QUEUE,
        ),
      ],
      providers: [
        { provide: NOTIFICATIONS_CONFIG, useValue: config },
        { provide: SENDGRID_MAIL, useFactory: () => sendgridMailOf(config) },
        { provide: TWILIO_SMS, useFactory: () => twilioSmsOf(config) },
        // Preferences, organization settings, quiet hours and the push channel (docs/adr/0035 "Preferences, quiet hours and push").
        { provide: FCM_PUSH, useFactory: () => fcmPushOf(config) },
        ChannelPreferencesService,
        NotificationPreferencesService,
        PushDevicesService,
        PushSendJob,
        SmsOptOutService,
        DeliveryStatusService,
        NotificationDispatchService,
        RecipientsConsumer,
        NotificationTriggersConsumer,
        // The other built-in triggers and the per-organization switches (issue 14 "Triggers and history").
        TriggerSettingsService,
        TriggerNotifier,
        DealTriggersConsumer,
        ContactTriggersConsumer,
        NotificationsService,
        // The realtime channel: pushes to the gateways' sockets over core NATS (docs/adr/0035).
        RealtimePushService,
        NotificationsRealtimeConsumer,
        EmailSendJob,
        SendgridWebhookService,
        SmsSendJob,
        TwilioWebhookService,
        // The send claim and the reconcile of `unknown` sends (docs/adr/0035 "Reconcile of unknown sends").
        ...reconcileProviders(config),
        // Notifications to crm contacts, consent at send time, the contact's email activity (docs/adr/0035 "Contacts").
        ContactRecipientsConsumer,
        ContactNotificationService,
        ContactDirectedTriggersConsumer,
        ContactEmailActivityService,
        // SendGrid dynamic templates per organization and the organization's branding (docs/adr/0035 "Email templates and branding").
        EmailTemplatesService,
        OrgBrandingConsumer,
      ],
    };
  }
}
