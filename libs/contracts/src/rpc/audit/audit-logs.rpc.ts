import type { Page, PageQuery } from '../../pagination.type';
import { defineRpc } from '../rpc-contract.util';

/**
 * NATS request/reply contracts of the audit service (`audit.<aggregate>.<verb>`): request `data`
 * and reply `data` of each. Refusals are `DomainException`s (`AUDIT_*` codes, `FORBIDDEN`,
 * `VALIDATION_FAILED`).
 */
export const AuditSubjects = {
  /** The filtered trail, newest first (keyset by seq); `audit:read` at org scope, or team scope if the organization allows it. */
  list: defineRpc<AuditLogListRequest, Page<AuditEntryView>>('audit.logs.list'),
  /** One page of the CSV export (at most 500 rows); the first page (no cursor) records `audit.log.exported`. */
  exportPage: defineRpc<AuditLogListRequest, Page<AuditEntryView>>('audit.logs.export-page'),
  /** Recomputes the organization's chain and compares it with the checkpoints (org scope). */
  verify: defineRpc<AuditVerifyRequest, AuditVerifyResponse>('audit.logs.verify'),
  /** The organization's settings (no request data; `audit:read` at team scope or more). */
  settingsGet: defineRpc<Record<string, never>, AuditSettingsView>('audit.settings.get'),
  /** Changes the settings (`organizations:write` at org scope) and records `audit.settings.updated`; replies the new settings. */
  settingsUpdate: defineRpc<AuditSettingsUpdateRequest, AuditSettingsView>('audit.settings.update'),
  /** The retention archives, newest first (org scope). */
  archivesList: defineRpc<AuditArchiveListRequest, Page<AuditArchiveView>>('audit.archives.list'),
  /** The signed checkpoints, newest first, with their public keys (org scope). */
  checkpointsList: defineRpc<AuditCheckpointListRequest, AuditCheckpointPage>('audit.checkpoints.list'),
};

/**
 * Filters of `GET /v1/audit-logs` and its CSV export. `user` = actor id (user or API key id);
 * `action` = event type (`identity.user.role_changed`), or a prefix ending in `.*`
 * (`identity.login.*`); `model` = target model (`user`, `contact`); `recordId` = target record id;
 * `from`/`to` = ISO 8601 bounds on the event time (from inclusive, to exclusive); `date` =
 * `YYYY-MM-DD`, one UTC day (the seeds' `GET /logs?user=&date=`).
 */
export interface AuditLogListRequest extends PageQuery {
  user?: string;
  action?: string;
  model?: string;
  recordId?: string;
  from?: string;
  to?: string;
  date?: string;
}

/** Who did it: a user, an API key, or the system. */
export interface AuditActorView {
  type: 'user' | 'api_key' | 'system';
  id: string | null;
  role: string | null;
}

/**
 * One audit entry. `action` is the event type (docs/adr/0015); `changes` is the field-level change
 * set (`{ field: { from, to } }`) when the event carries one; `details` the rest of the event data.
 * Secrets read `"[redacted]"`; e-mail addresses and phone numbers are masked.
 */
export interface AuditEntryView {
  id: string;
  seq: number;
  action: string;
  actor: AuditActorView;
  target: { model: string; id: string | null };
  occurredAt: string;
  recordedAt: string;
  source: string;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  changes: Record<string, { from: unknown; to: unknown }> | null;
  details: Record<string, unknown> | null;
  eventId: string;
  prevHash: string;
  hash: string;
}

/** `GET /v1/audit-logs/verify?from=&to=` (ISO 8601 bounds on the recording time; both optional). */
export interface AuditVerifyRequest {
  from?: string;
  to?: string;
}

/** Why a chain check failed at an entry. */
export type AuditChainBreak =
  | 'hash_mismatch'
  | 'prev_hash_mismatch'
  | 'seq_gap'
  | 'checkpoint_mismatch'
  | 'checkpoint_beyond_head'
  /** A checkpoint (database or external copy) whose Ed25519 signature does not verify (seq 0: an unreadable external line). */
  | 'checkpoint_signature_invalid'
  /** A signed checkpoint of the database that the external copy does not hold. */
  | 'checkpoint_missing_externally';

/**
 * Verification result: `ok` with the number of entries checked and the head (last checked entry's
 * hash and seq), or the first entry where the chain breaks.
 */
export interface AuditVerifyResponse {
  ok: boolean;
  count: number;
  headSeq: number | null;
  headHash: string | null;
  /** Checkpoints compared with the chain (database rows and external copies). */
  checkpointsChecked: number;
  /** Signed checkpoints read from the external copy (`<archive dir>/<org>/checkpoints.jsonl`), signatures verified. */
  externalCheckpoints: number;
  brokenAt?: { seq: number; id: string | null; reason: AuditChainBreak };
}

/** Per-organization audit settings. `retentionDays` null = keep forever (minimum 30). */
export interface AuditSettingsView {
  managersMayRead: boolean;
  retentionDays: number | null;
}

export type AuditSettingsUpdateRequest = Partial<AuditSettingsView>;

/** `GET /v1/audit-logs/archives` (org scope of `audit:read`): newest first, keyset by `fromSeq`. */
export type AuditArchiveListRequest = PageQuery;

/**
 * One retention archive written by the `audit.archive` job: the seq range, the hash before it
 * (`prevHash`) and its head hash (the chain checkpoint in the file's header), the file's name in
 * `<archive dir>/<orgId>/` and its SHA-256 (lowercase hex).
 */
export interface AuditArchiveView {
  id: string;
  fromSeq: number;
  toSeq: number;
  entryCount: number;
  prevHash: string;
  headHash: string;
  file: string;
  fileSha256: string;
  createdAt: string;
}

/** `GET /v1/audit-logs/checkpoints` (org scope of `audit:read`): newest first, keyset by `seq`. */
export type AuditCheckpointListRequest = PageQuery;

/**
 * A signed chain checkpoint (docs/adr/0020): Ed25519 `signature` (base64) by key `keyId` over the
 * UTF-8 text `keyhouse.audit.checkpoint/v1\n<orgId>\n<seq>\n<hash>\n<createdAt>\n`. Unsigned
 * (null) for checkpoints taken before signing existed.
 */
export interface AuditCheckpointView {
  orgId: string;
  seq: number;
  hash: string;
  createdAt: string;
  keyId: string | null;
  signature: string | null;
}

/** The checkpoints page plus the public keys (raw 32-byte Ed25519, base64, by key id) to verify them with. */
export interface AuditCheckpointPage {
  items: AuditCheckpointView[];
  nextCursor: string | null;
  publicKeys: Record<string, string>;
}
