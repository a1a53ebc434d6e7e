/**
 * Row shapes of the identity service's schema `identity`, generated from its migrations
 * by `node deploy/db-types.js` (kysely-codegen; docs/adr/0027). Do not edit: change a migration (or
 * identity.db-overrides.json) and run the command again; `npm test` fails when this file is stale.
 */
import type { PlatformDb } from '@keyhouse/platform/messaging';
import type { LocalMailVariables, OneTimeTokenPurpose, PublicJwk, RevocationKind } from './identity-json.type';
import type { NotificationPreferences, UserStatus, WorkingHours } from '@keyhouse/contracts';
import type { Generated, Int8, JsonColumn, Timestamp } from '@keyhouse/platform/database';

export interface AgentProfile {
  capacity: Generated<number>;
  created_at: Generated<Timestamp>;
  languages: Generated<string[]>;
  license_number: string | null;
  license_state: string | null;
  org_id: string;
  regions: Generated<string[]>;
  updated_at: Generated<Timestamp>;
  user_id: string;
  working_hours: JsonColumn<WorkingHours> | null;
}

export interface ApiKey {
  created_at: Generated<Timestamp>;
  created_by: string;
  id: string;
  key_hash: string;
  last_used_at: Timestamp | null;
  name: string;
  org_id: string;
  prefix: string;
  revoked_at: Timestamp | null;
  scopes: string[];
}

export interface AppUser {
  contact_id: string | null;
  created_at: Generated<Timestamp>;
  deactivated_at: Timestamp | null;
  email: string;
  email_verified_at: Timestamp | null;
  erased_at: Timestamp | null;
  id: string;
  language: Generated<string>;
  last_login_at: Timestamp | null;
  mfa_enabled: Generated<boolean>;
  mfa_last_time_step: Int8 | null;
  mfa_pending_secret_enc: string | null;
  mfa_secret_enc: string | null;
  name: string;
  notification_preferences: Generated<JsonColumn<NotificationPreferences>>;
  org_id: string;
  password_hash: string | null;
  phone: string | null;
  role: string;
  status: UserStatus;
  timezone: Generated<string>;
  updated_at: Generated<Timestamp>;
}

export interface CustomRole {
  created_at: Generated<Timestamp>;
  id: string;
  key: string;
  name: string;
  org_id: string;
  permissions: string[];
  updated_at: Generated<Timestamp>;
}

export interface LocalMail {
  created_at: Generated<Timestamp>;
  id: string;
  org_id: string | null;
  secrets: JsonColumn<LocalMailVariables> | null;
  subject: string;
  template: string;
  text: string;
  to_address: string;
  variables: Generated<JsonColumn<LocalMailVariables>>;
}

export interface LoginAttempt {
  created_at: Generated<Timestamp>;
  email: string;
  id: string;
  ip: string | null;
  succeeded: boolean;
  user_id: string | null;
}

export interface MfaFailure {
  created_at: Generated<Timestamp>;
  id: string;
  user_id: string;
}

export interface MfaRecoveryCode {
  code_hash: string;
  created_at: Generated<Timestamp>;
  id: string;
  used_at: Timestamp | null;
  user_id: string;
}

export interface OneTimeToken {
  created_at: Generated<Timestamp>;
  expires_at: Timestamp;
  failed_attempts: Generated<number>;
  id: string;
  purpose: OneTimeTokenPurpose;
  token_hash: string;
  used_at: Timestamp | null;
  user_id: string;
}

export interface Organization {
  affiliate_rate_bps: Generated<number>;
  created_at: Generated<Timestamp>;
  display_name: string | null;
  id: string;
  logo_url: string | null;
  mfa_required_roles: Generated<string[]>;
  name: string;
  primary_color: string | null;
  public_form_key: string;
  secondary_color: string | null;
  session_lifetime_minutes: Generated<number>;
  updated_at: Generated<Timestamp>;
}

export interface RefreshToken {
  created_at: Generated<Timestamp>;
  expires_at: Timestamp;
  family_id: string;
  id: string;
  ip: string | null;
  org_id: string;
  revoked_at: Timestamp | null;
  token_hash: string;
  used_at: Timestamp | null;
  user_agent: string | null;
  user_id: string;
}

export interface SigningKey {
  created_at: Generated<Timestamp>;
  kid: string;
  private_jwk_enc: string;
  public_jwk: JsonColumn<PublicJwk>;
  retired_at: Timestamp | null;
}

export interface Team {
  created_at: Generated<Timestamp>;
  id: string;
  manager_id: string | null;
  name: string;
  org_id: string;
  updated_at: Generated<Timestamp>;
}

export interface TeamMember {
  created_at: Generated<Timestamp>;
  org_id: string;
  team_id: string;
  user_id: string;
}

export interface TokenRevocation {
  created_at: Generated<Timestamp>;
  id: Generated<Int8>;
  kind: RevocationKind;
  not_before_ms: Int8;
  subject_id: string;
}

export interface IdentityDb extends PlatformDb {
  agent_profile: AgentProfile;
  api_key: ApiKey;
  app_user: AppUser;
  custom_role: CustomRole;
  local_mail: LocalMail;
  login_attempt: LoginAttempt;
  mfa_failure: MfaFailure;
  mfa_recovery_code: MfaRecoveryCode;
  one_time_token: OneTimeToken;
  organization: Organization;
  refresh_token: RefreshToken;
  signing_key: SigningKey;
  team: Team;
  team_member: TeamMember;
  token_revocation: TokenRevocation;
}
