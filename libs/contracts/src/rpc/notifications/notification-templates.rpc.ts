import { defineRpc } from '../rpc-contract.util';

/**
 * NATS request/reply contracts of the organization's email templates (issue 14: "Transactional
 * emails from SendGrid dynamic templates, template ids per organization and kind, with a built-in
 * default template for each kind"; `GET /v1/notification-templates`, `PUT
 * /v1/notification-templates/:type`, owner/admin through `notifications:manage` at `org` scope).
 * Refusals: 403 `FORBIDDEN`, 404 `NOTIFICATION_TEMPLATE_NOT_FOUND` (a type that is no notification
 * type), 400 `VALIDATION_FAILED` (`sendgridTemplateId` not `d-` + 32 hex).
 */
export const NotificationTemplatesSubjects = {
  /** Every notification type with its built-in default subject and the organization's SendGrid template id (or null). */
  list: defineRpc<Record<string, never>, NotificationTemplateListView>('notifications.templates.list'),
  /** Sets (or, with null, removes) the organization's SendGrid dynamic template id of one type; emits `notifications.template.updated`. */
  update: defineRpc<NotificationTemplateUpdateRequest, NotificationTemplateView>('notifications.templates.update'),
};

/** One notification type's email template as it applies to the caller's organization. */
export interface NotificationTemplateView {
  /** Notification type (`lead_assigned`, `invoice_sent`, ...). */
  type: string;
  /** The built-in default's subject (`{{name}}` placeholders filled from the event). */
  defaultSubject: string;
  /** The built-in default's body (`{{name}}` placeholders). */
  defaultBody: string;
  /** The organization's SendGrid dynamic template id (`d-` + 32 hex), or null: the built-in default is sent. */
  sendgridTemplateId: string | null;
  /** Who set it last (null: never set). @format uuid */
  updatedBy: string | null;
  /** When it was set last (null: never set). @format date-time */
  updatedAt: string | null;
}

export interface NotificationTemplateListView {
  items: NotificationTemplateView[];
}

/** `PUT /v1/notification-templates/:type`: null removes the organization's template (back to the built-in default). */
export interface NotificationTemplateUpdateRequest {
  type: string;
  sendgridTemplateId: string | null;
}
