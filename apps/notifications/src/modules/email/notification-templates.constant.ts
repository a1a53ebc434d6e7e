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
 * for each kind"; per-organization SendGrid dynamic template ids are a later slice). `{{name}}`
 * placeholders; the HTML part is built from the same text, escaped.
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
 * for a type without a template here).
 */
export function renderEmail(type: NotificationType, title: string, body: string, link: string | null): RenderedNotification {
  const label = (NOTIFICATION_TEMPLATES as Partial<Record<string, { action: string }>>)[type]?.action ?? DEFAULT_ACTION;
  const text = link ? `${body}\n\n${label}: ${link}\n` : `${body}\n`;
  const action = link ? `<p><a href="${escapeHtml(link)}">${escapeHtml(label)}</a></p>` : '';
  const html = `<!doctype html><html><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p>${action}</body></html>`;
  return { title, body, subject: title, text, html };
}
