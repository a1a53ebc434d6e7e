import { defineEvent } from '../event-definition.util';
/**
 * Events the audit trail records besides the domain events of the other services.
 *
 * - Gateway refusals, published by the gateway on topic `gateway.events` (docs/adr/0016):
 *   `gateway.access.denied` (403: an authenticated caller without the route's permission, or a
 *   service's `forbidden`) and `gateway.authentication.failed` (401 on a protected route: bad or
 *   missing credentials). Subject = the route pattern (`GET /v1/users/:id`); `orgid` = the caller's
 *   organization, or the nil UUID when the caller is unknown.
 * - Audit's own actions, appended straight to the chain (no Kafka): `audit.log.exported`, `audit.log.archived`,
 *   `audit.settings.updated`.
 */
export const AUDIT_GATEWAY_EVENTS_TOPIC = 'gateway.events';

/** Organization id of events whose organization is unknown (failed logins, anonymous 401s). */
export const AUDIT_NIL_ORG = '00000000-0000-0000-0000-000000000000';

export const AuditEvent = {
  accessDenied: defineEvent<AuditAccessRefusedData>('gateway.access.denied'),
  authenticationFailed: defineEvent<AuditAccessRefusedData>('gateway.authentication.failed'),
  logExported: defineEvent<Record<string, unknown>>('audit.log.exported'),
  logArchived: defineEvent<Record<string, unknown>>('audit.log.archived'),
  settingsUpdated: defineEvent<Record<string, unknown>>('audit.settings.updated'),
};

/** Data of a gateway refusal event. No query string or body (they may hold secrets). */
export interface AuditAccessRefusedData {
  method: string;
  route: string;
  path: string;
  status: 401 | 403;
  ip?: string;
  userAgent?: string;
}
