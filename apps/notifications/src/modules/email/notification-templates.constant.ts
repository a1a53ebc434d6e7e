import { CONTACT_TRIGGERS } from '../contacts/contact-triggers.constant';
import type { NotificationType } from '../triggers/notification-triggers.constant';

/** Values a template fills in; missing ones render as an empty string. */
export type TemplateValues = Record<string, string | null | undefined>;

/** A rendered notification: the in-app title and body, the email subject and its plain-text and HTML bodies. */
export interface RenderedNotification {
  title: string;
  body: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Built-in default template of each notification type (issue 14: "a built-in default template
 * for each kind"; an organization may replace the email by its own SendGrid dynamic template per
 * type, `org_email_template`, docs/adr/0035 "Email templates and branding"). `{{name}}`
 * placeholders; the HTML part is built from the same text, escaped, with the organization's branding.
 */
export const NOTIFICATION_TEMPLATES: Readonly<Record<NotificationType, { title: string; body: string; action: string }>> = {
  lead_assigned: {
    title: 'New lead assigned to you',
    body: 'A lead was assigned to you ({{strategy}}).{{respondByLine}}',
    action: 'Open the lead',
  },
  task_assigned: {
    title: 'New task: {{taskTitle}}',
    body: '{{assignerName}} assigned you a task due {{dueAt}}.',
    action: 'Open the task',
  },
  lead_rerouted: {
    title: 'Lead re-routed: not contacted in time',
    body: '{{agentLine}} The lead was re-routed by speed-to-lead ({{strategy}}).{{respondByLine}}',
    action: 'Open the lead',
  },
  task_reminder: {
    title: 'Reminder: {{taskTitle}}',
    body: 'Your task "{{taskTitle}}" is due {{dueAt}}.',
    action: 'Open the task',
  },
  task_overdue: {
    title: 'Overdue: {{taskTitle}}',
    body: 'Your task "{{taskTitle}}" was due {{dueAt}} and is still open.',
    action: 'Open the task',
  },
  deal_date_reminder: {
    title: 'Coming up: {{keyDate}} on {{date}}',
    body: 'The {{keyDate}} of a transaction you work on is due {{date}}.',
    action: 'Open the transaction',
  },
  deal_deadline_missed: {
    title: 'Missed deadline: {{keyDate}}',
    body: 'The {{keyDate}} of a transaction you work on was due {{date}} and is not marked done.',
    action: 'Open the transaction',
  },
  offer_accepted: {
    title: 'Offer accepted: {{amount}}',
    body: 'The offer of {{amount}}{{buyerLine}} on a transaction you work on was accepted.',
    action: 'Open the transaction',
  },
  invoice_paid: {
    title: 'Invoice {{invoiceNumber}} paid',
    body: 'Invoice {{invoiceNumber}} to {{billTo}} is paid in full ({{total}}).',
    action: 'Open the invoice',
  },
  contact_search_matched: {
    title: 'New match for your contact',
    body: 'Listing {{listingKey}} matches a saved search of one of your contacts.',
    action: 'Open the contact',
  },
  client_registered: {
    title: 'A client joined the portal: {{clientName}}',
    body: '{{clientName}} registered in the client portal as one of your contacts.',
    action: 'Open the contact',
  },
};

/**
 * Every kind of email an organization can give its own SendGrid dynamic template (issue 14
 * "template ids per organization and kind"): the users' notification types and the crm contacts'
 * (`CONTACT_TRIGGERS`), each with its built-in default subject and body (`{{name}}` placeholders).
 */
export const EMAIL_TEMPLATE_KINDS: Readonly<Record<string, { subject: string; body: string }>> = Object.fromEntries([
  ...Object.entries(NOTIFICATION_TEMPLATES).map(([type, template]) => [type, { subject: template.title, body: template.body }] as const),
  ...Object.values(CONTACT_TRIGGERS).map(
    (trigger) => [trigger.type, { subject: trigger.template.title, body: trigger.template.body }] as const,
  ),
]);

/**
 * The organization's branding as the emails use it (`org_branding`, from identity's organization
 * events): `name` the organization's name, `displayName` the name to show (sender name, header),
 * `logoUrl` an https URL, colours `#RRGGBB`; each null when not set. A value of another shape is
 * ignored when rendering (it goes into HTML attributes and CSS).
 */
export interface EmailBranding {
  name: string | null;
  displayName: string | null;
  logoUrl: string | null;
  primaryColor: string | null;
  secondaryColor: string | null;
}

const COLOR = /^#[0-9A-Fa-f]{6}$/;

/** `value` when it is a `#RRGGBB` colour, else null. */
export function brandColor(value: string | null | undefined): string | null {
  return value && COLOR.test(value) ? value : null;
}

/** `value` when it is an absolute https URL, else null (no `javascript:`, `data:` or plain-http logo in an email). */
export function brandLogoUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    return new URL(value).protocol === 'https:' ? value : null;
  } catch {
    return null;
  }
}

/** The name the organization shows (`displayName`, else its `name`, trimmed), or null when it has neither. */
export function brandName(branding: EmailBranding | null | undefined): string | null {
  const name = branding?.displayName?.trim() || branding?.name?.trim();
  return name || null;
}

/** The call to action of `type` (`Open Keyhouse` for a type without a template here). */
export function actionLabelOf(type: string): string {
  return (NOTIFICATION_TEMPLATES as Partial<Record<string, { action: string }>>)[type]?.action ?? DEFAULT_ACTION;
}

/** The call to action of a type without a template here (a type of another trigger set). */
const DEFAULT_ACTION = 'Open Keyhouse';

const PLACEHOLDER = /\{\{(\w+)\}\}/g;

function fill(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (_match, key: string) => values[key] ?? '');
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The in-app title and body of `type`'s default template filled with `values`. */
export function renderNotification(type: NotificationType, values: TemplateValues): { title: string; body: string } {
  const template = NOTIFICATION_TEMPLATES[type];
  return { title: fill(template.title, values), body: fill(template.body, values) };
}

/**
 * The email of a notification: subject = its title; plain text and simple HTML with the same
 * words; `link` (an absolute URL, or null) becomes the type's call to action (`Open Keyhouse`
 * for a type without a template here). With `branding`: the HTML shows the logo (an https URL) and
 * the display name in a header, the title and the call to action in the primary colour (`#RRGGBB`;
 * anything else is left out), and the text ends with the display name. Every inserted value is
 * HTML-escaped (element content and attribute values).
 */
export function renderEmail(
  type: NotificationType,
  title: string,
  body: string,
  link: string | null,
  branding: EmailBranding | null = null,
): RenderedNotification {
  const label = actionLabelOf(type);
  const name = brandName(branding);
  const color = brandColor(branding?.primaryColor);
  const logo = brandLogoUrl(branding?.logoUrl);
  const signature = name ? `\n-- \n${name}\n` : '';
  const text = (link ? `${body}\n\n${label}: ${link}\n` : `${body}\n`) + signature;
  const colorStyle = color ? ` style="color:${color}"` : '';
  const buttonStyle = color ? ` style="background-color:${color};color:#ffffff;padding:8px 16px;text-decoration:none"` : '';
  const header =
    logo || name
      ? `<div class="brand">${logo ? `<img src="${escapeHtml(logo)}" alt="${escapeHtml(name ?? '')}" height="48">` : ''}${
          name ? `<p><strong>${escapeHtml(name)}</strong></p>` : ''
        }</div>`
      : '';
  const action = link ? `<p><a href="${escapeHtml(link)}"${buttonStyle}>${escapeHtml(label)}</a></p>` : '';
  const html = `<!doctype html><html><body>${header}<h1${colorStyle}>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p>${action}</body></html>`;
  return { title, body, subject: title, text, html };
}

/**
 * `dynamic_template_data` of an email sent with the organization's SendGrid dynamic template: the
 * notification's words (`subject` = `title`, `body`), the call to action (`action` label and absolute
 * `link`, null without one), `data` (the ids the notification is about, `notification.data`) and
 * the organization's `branding` (`name` = the name to show, `logoUrl` and colours only when well
 * formed, else null). SendGrid's Handlebars escapes `{{value}}` itself.
 */
export function dynamicTemplateDataOf(input: {
  type: string;
  title: string;
  body: string;
  link: string | null;
  data: Record<string, unknown>;
  branding: EmailBranding | null;
}): Record<string, unknown> {
  return {
    type: input.type,
    subject: input.title,
    title: input.title,
    body: input.body,
    action: actionLabelOf(input.type),
    link: input.link,
    data: input.data,
    branding: {
      name: brandName(input.branding),
      logoUrl: brandLogoUrl(input.branding?.logoUrl),
      primaryColor: brandColor(input.branding?.primaryColor),
      secondaryColor: brandColor(input.branding?.secondaryColor),
    },
  };
}
