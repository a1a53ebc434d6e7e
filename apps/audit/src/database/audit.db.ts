/**
 * Row shapes of the audit service's schema `audit`, generated from its migrations
 * by `node deploy/db-types.js` (kysely-codegen; docs/adr/0027). Do not edit: change a migration (or
 * audit.db-overrides.json) and run the command again; `npm test` fails when this file is stale.
 */
import type { PlatformDb } from '@keyhouse/platform/messaging';
import type { AuditActorType, AuditChangeSet, AuditDetails } from './audit-json.type';
import type { Generated, Int8, JsonColumn, Timestamp } from '@keyhouse/platform/database';

export interface AuditArchive {
  created_at: Generated<Timestamp>;
  entry_count: number;
  file_sha256: string;
  from_seq: Int8;
  head_hash: string;
  id: string;
  location: string;
  org_id: string;
  prev_hash: string;
  to_seq: Int8;
}

export interface AuditCheckpoint {
  created_at: Generated<Timestamp>;
  hash: string;
  id: string;
  key_id: string | null;
  org_id: string;
  seq: Int8;
  signature: string | null;
}

export interface AuditEntry {
  action: string;
  actor_id: string | null;
  actor_role: string | null;
  actor_type: AuditActorType;
  changes: JsonColumn<AuditChangeSet> | null;
  details: JsonColumn<AuditDetails> | null;
  event_id: string;
  hash: string;
  id: string;
  ip: string | null;
  occurred_at: Timestamp;
  org_id: string;
  prev_hash: string;
  recorded_at: Timestamp;
  request_id: string | null;
  seq: Int8;
  source: string;
  target_id: string | null;
  target_model: string;
  user_agent: string | null;
}

export interface AuditOrgMember {
  org_id: string;
  team_ids: Generated<string[]>;
  updated_at: Generated<Timestamp>;
  user_id: string;
}

export interface AuditOrgSetting {
  managers_may_read: Generated<boolean>;
  org_id: string;
  retention_days: number | null;
  updated_at: Generated<Timestamp>;
}

export interface AuditDb extends PlatformDb {
  audit_archive: AuditArchive;
  audit_checkpoint: AuditCheckpoint;
  audit_entry: AuditEntry;
  audit_org_member: AuditOrgMember;
  audit_org_setting: AuditOrgSetting;
}
