import { AUDIT_NIL_ORG, type CloudEvent } from '@keyhouse/contracts';
import { isUuid } from '@keyhouse/util';
import type { AuditActorType, AuditChangeSet, AuditDetails } from '../../database/audit-json.type';
import { isoMillis } from './audit-hash.util';

/** An entry as derived from an event, before the ledger gives it an id, a seq and hashes. */
export interface AuditEntryDraft {
  orgId: string;
  eventId: string;
  action: string;
  actor: { type: AuditActorType; id: string | null; role: string | null };
  target: { model: string; id: string | null };
  occurredAt: string;
  source: string;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  changes: AuditChangeSet | null;
  details: AuditDetails | null;
}

export const REDACTED = '[redacted]';
export const MASKED = '[masked]';
/** Longest string kept in an entry; longer ones are cut and end with `…[truncated]` (ASVS 16.4.1). */
export const MAX_STRING = 1000;
const MAX_ARRAY = 100;
const MAX_DEPTH = 6;

// Field-name rules (docs/adr/0015, "What is stored"). Names ending in Id/Ids/At/Count/Length are
// references or facts about a secret (apiKeyId, passwordChangedAt), not the secret itself.
const NOT_SECRET = /(Id|Ids|At|Count|Length|Version|_id|_ids|_at|_count)$/;
const SECRET = /(password|passcode|secret|token|hash|otp|recovery|private|credential|signature|cookie|^authorization$|^key$|apikey$)/i;
const EMAIL = /e-?mail/i;
const PHONE = /(phone|mobile|fax|sms)/i;
const SENSITIVE = /(ssn|socialsecurity|taxid|tax_id|nationalid|passport|birth|dob|bankaccount|iban|routingnumber|cardnumber)/i;
const JWT = /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\./;

/** Masks an e-mail address: first character, `***`, and the domain (`j***@example.com`). */
export function maskEmail(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 1) return MASKED;
  return `${value[0]}***${value.slice(at)}`;
}

/** Masks a phone number to its last two digits (`***67`). */
export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  return digits.length >= 4 ? `***${digits.slice(-2)}` : MASKED;
}

function cleanString(value: string): string {
  // Control characters (CR/LF, ANSI escapes, NUL) are replaced so entries cannot forge log lines.
  // eslint-disable-next-line no-control-regex
  const cleaned = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');
  if (JWT.test(cleaned)) return REDACTED;
  return cleaned.length > MAX_STRING ? `${cleaned.slice(0, MAX_STRING)}…[truncated]` : cleaned;
}

/** Applies the field rules to one value under the field name `key`. */
export function maskValue(key: string, value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return null;
  if (!NOT_SECRET.test(key) && SECRET.test(key)) return REDACTED;
  if (SENSITIVE.test(key)) return MASKED;
  if (typeof value === 'string') {
    if (EMAIL.test(key) || (key === 'subject' && value.includes('@'))) return maskEmail(value);
    if (PHONE.test(key) && !NOT_SECRET.test(key)) return maskPhone(value);
    return cleanString(value);
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value;
  if (depth >= MAX_DEPTH) return '[truncated]';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ARRAY).map((item) => maskValue(key, item, depth + 1));
    if (value.length > MAX_ARRAY) items.push(`[${value.length - MAX_ARRAY} more]`);
    return items;
  }
  if (typeof value === 'object') return maskObject(value as Record<string, unknown>, depth + 1);
  return null;
}

function maskObject(object: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object).slice(0, 200)) {
    if (value === undefined) continue;
    result[cleanString(key).slice(0, 100)] = maskValue(key, value, depth);
  }
  return result;
}

function isChangeSet(value: unknown): value is AuditChangeSet {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const fields = Object.values(value as Record<string, unknown>);
  return fields.length > 0 && fields.every((field) => !!field && typeof field === 'object' && 'from' in field && 'to' in field);
}

function maskChangeSet(changes: AuditChangeSet): AuditChangeSet {
  const result: AuditChangeSet = {};
  for (const [field, change] of Object.entries(changes).slice(0, 200)) {
    result[cleanString(field).slice(0, 100)] = { from: maskValue(field, change.from), to: maskValue(field, change.to) };
  }
  return result;
}

function text(value: unknown, max = 200): string | null {
  return typeof value === 'string' && value.length > 0 ? cleanString(value).slice(0, max) : null;
}

/**
 * Generic mapping of any CloudEvent to an audit entry, so a new event type needs no code:
 * - action = the event `type` (`crm.contact.updated`); target model = its middle segment
 *   (`contact`); target id = the event `subject`;
 * - actor from `actortype`/`actorid`/`actorrole`; org from `orgid` (nil UUID when absent);
 * - change set: `data.changes` when it is `{ field: { from, to } }`; else `data.from`/`data.to`
 *   under the field named by the type (`identity.user.role_changed` → `role`); for `*.created`
 *   every data field as `{ from: null, to }`; the remaining data goes to `details`;
 * - ip and user agent from `data.ip` / `data.userAgent` when the producer knew them;
 * - every value passes the masking rules (`maskValue`).
 */
export function draftFromEvent(event: CloudEvent, now: Date = new Date()): AuditEntryDraft {
  const type = cleanString(String(event.type)).slice(0, 200);
  const segments = type.split('.');
  const verb = segments[segments.length - 1] ?? '';
  const data =
    event.data && typeof event.data === 'object' && !Array.isArray(event.data) ? { ...(event.data as Record<string, unknown>) } : {};
  const ip = text(data.ip, 100);
  const userAgent = text(data.userAgent, 512);
  delete data.ip;
  delete data.userAgent;

  let changes: AuditEntryDraft['changes'] = null;
  if (isChangeSet(data.changes)) {
    changes = maskChangeSet(data.changes);
    delete data.changes;
  } else if ('from' in data && 'to' in data) {
    const field = verb.replace(/_changed$/, '') || 'value';
    changes = maskChangeSet({ [field]: { from: data.from, to: data.to } });
    delete data.from;
    delete data.to;
  } else if (verb === 'created' && Object.keys(data).length > 0) {
    changes = maskChangeSet(Object.fromEntries(Object.entries(data).map(([key, value]) => [key, { from: null, to: value }])));
    for (const key of Object.keys(data)) delete data[key];
  }
  const details = Object.keys(data).length > 0 ? maskObject(data) : null;

  const actorType = event.actortype === 'user' || event.actortype === 'api_key' ? event.actortype : 'system';
  const occurred = typeof event.time === 'string' ? new Date(event.time) : now;
  return {
    orgId: isUuid(event.orgid) ? event.orgid.toLowerCase() : AUDIT_NIL_ORG,
    eventId: String(event.id).slice(0, 200),
    action: type,
    actor: { type: actorType, id: text(event.actorid), role: text(event.actorrole, 100) },
    target: { model: segments.length >= 3 ? segments.slice(1, -1).join('.') : segments[0] || 'unknown', id: targetId(event.subject) },
    occurredAt: isoMillis(Number.isNaN(occurred.getTime()) ? now : occurred),
    source: text(event.source) ?? 'unknown',
    requestId: text(event.requestid),
    ip,
    userAgent,
    changes,
    details,
  };
}

function targetId(subject: unknown): string | null {
  if (typeof subject !== 'string' || subject.length === 0) return null;
  return subject.includes('@') ? maskEmail(subject) : cleanString(subject).slice(0, 200);
}
