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
};

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
 * words; `link` (an absolute URL, or null) becomes the type's call to action.
 */
export function renderEmail(type: NotificationType, title: string, body: string, link: string | null): RenderedNotification {
  const template = NOTIFICATION_TEMPLATES[type];
  const text = link ? `${body}\n\n${template.action}: ${link}\n` : `${body}\n`;
  const action = link ? `<p><a href="${escapeHtml(link)}">${escapeHtml(template.action)}</a></p>` : '';
  const html = `<!doctype html><html><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p>${action}</body></html>`;
  return { title, body, subject: title, text, html };
}
