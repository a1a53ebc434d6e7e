/**
 * NATS request/reply contracts (subject + request `data` + reply `data`) and payloads for users,
 * agents, teams and roles (identity service). Refusals are `DomainException`s (identity error
 * codes); a `void` reply is no content.
 */
import type { Page, PageQuery } from '../../pagination.type';
import { defineRpc } from '../rpc-contract.util';

export const IdentityUserSubjects = {
  /** The caller's own profile (no request data). */
  getMe: defineRpc<Record<string, never>, UserView>('identity.users.get-me'),
  updateMe: defineRpc<UpdateMeRequest, UserView>('identity.users.update-me'),
  create: defineRpc<UserCreateRequest, UserView>('identity.users.create'),
  /** Users visible to the caller, by creation. */
  list: defineRpc<UserListRequest, Page<UserView>>('identity.users.list'),
  /** 404 `USER_NOT_FOUND` when not visible to the caller. */
  get: defineRpc<IdRequest, UserView>('identity.users.get'),
  update: defineRpc<UserUpdateRequest, UserView>('identity.users.update'),
  /** The deactivated user. */
  deactivate: defineRpc<IdRequest, UserView>('identity.users.deactivate'),
  agentList: defineRpc<AgentListRequest, Page<AgentView>>('identity.agents.list'),
  /** By user id (404 `AGENT_NOT_FOUND`). */
  agentGet: defineRpc<IdRequest, AgentView>('identity.agents.get'),
  agentUpsert: defineRpc<AgentUpsertRequest, AgentView>('identity.agents.upsert'),
  agentRemove: defineRpc<IdRequest, void>('identity.agents.remove'),
  teamCreate: defineRpc<TeamCreateRequest, TeamView>('identity.teams.create'),
  teamList: defineRpc<TeamListRequest, Page<TeamView>>('identity.teams.list'),
  teamGet: defineRpc<IdRequest, TeamView>('identity.teams.get'),
  teamUpdate: defineRpc<TeamUpdateRequest, TeamView>('identity.teams.update'),
  teamDelete: defineRpc<IdRequest, void>('identity.teams.delete'),
  /** Built-in roles, then the organization's custom roles (no request data). */
  roleList: defineRpc<Record<string, never>, RoleView[]>('identity.roles.list'),
  roleCreate: defineRpc<RoleCreateRequest, RoleView>('identity.roles.create'),
  roleUpdate: defineRpc<RoleUpdateRequest, RoleView>('identity.roles.update'),
  roleDelete: defineRpc<RoleKeyRequest, void>('identity.roles.delete'),
};

export const BUILT_IN_ROLES = ['owner', 'admin', 'manager', 'agent', 'client'] as const;
export type BuiltInRole = (typeof BUILT_IN_ROLES)[number];

export type UserStatus = 'active' | 'invited' | 'deactivated';

/** Channels a user can receive notifications on, each on or off. */
export interface NotificationPreferences {
  email: boolean;
  sms: boolean;
  inApp: boolean;
}

export interface UserView {
  id: string;
  orgId: string;
  email: string;
  name: string;
  phone: string | null;
  role: string;
  status: UserStatus;
  teamIds: string[];
  /** IANA time zone, e.g. `America/Los_Angeles`. */
  timezone: string;
  /** BCP 47 language tag, e.g. `en-US`. */
  language: string;
  notificationPreferences: NotificationPreferences;
  mfaEnabled: boolean;
  emailVerified: boolean;
  lastLoginAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface UpdateMeRequest {
  name?: string;
  phone?: string | null;
  timezone?: string;
  language?: string;
  notificationPreferences?: Partial<NotificationPreferences>;
}

export interface UserCreateRequest {
  email: string;
  name: string;
  role: string;
  /** Without a password the user is `invited` and receives an invitation to set one. */
  password?: string;
  teamIds?: string[];
  phone?: string;
  timezone?: string;
  language?: string;
}

export interface UserListRequest extends PageQuery {
  role?: string;
  teamId?: string;
  status?: UserStatus;
  /** Case-insensitive text search over name and email. */
  q?: string;
}

export interface UserUpdateRequest {
  id: string;
  name?: string;
  phone?: string | null;
  role?: string;
  teamIds?: string[];
  status?: 'active';
  timezone?: string;
  language?: string;
}

export interface IdRequest {
  id: string;
}

/** Opening hours of an agent: per ISO weekday (1 = Monday) a list of `HH:MM`–`HH:MM` ranges. */
export interface WorkingHours {
  timezone: string;
  days: Partial<Record<'1' | '2' | '3' | '4' | '5' | '6' | '7', Array<{ start: string; end: string }>>>;
}

export interface AgentProfileInput {
  licenseNumber?: string | null;
  /** Two-letter US state (or province) code of the license. */
  licenseState?: string | null;
  /** Postal (ZIP) codes or named regions the agent serves. */
  regions?: string[];
  /** BCP 47 language tags the agent speaks. */
  languages?: string[];
  /** Maximum number of active leads the agent takes. */
  capacity?: number;
  workingHours?: WorkingHours | null;
}

export interface AgentView extends AgentProfileInput {
  userId: string;
  orgId: string;
  name: string;
  email: string;
  status: UserStatus;
  teamIds: string[];
  licenseNumber: string | null;
  licenseState: string | null;
  regions: string[];
  languages: string[];
  capacity: number;
  workingHours: WorkingHours | null;
  createdAt: string;
  updatedAt: string;
}

export interface AgentListRequest extends PageQuery {
  /** Agents serving this region or ZIP code. */
  region?: string;
  language?: string;
  teamId?: string;
  status?: UserStatus;
  q?: string;
}

/** Creates the agent (a user with role `agent`) when `userId` is absent, else updates the profile. */
export interface AgentUpsertRequest extends AgentProfileInput {
  userId?: string;
  email?: string;
  name?: string;
  password?: string;
  teamIds?: string[];
}

export interface TeamView {
  id: string;
  orgId: string;
  name: string;
  managerId: string | null;
  memberIds: string[];
  createdAt: string;
  updatedAt: string;
}

export interface TeamCreateRequest {
  name: string;
  managerId?: string | null;
  memberIds?: string[];
}

export interface TeamUpdateRequest {
  id: string;
  name?: string;
  managerId?: string | null;
  memberIds?: string[];
}

export interface TeamListRequest extends PageQuery {
  q?: string;
}

export interface RoleView {
  key: string;
  name: string;
  builtIn: boolean;
  permissions: string[];
}

export interface RoleCreateRequest {
  /** Lower-case key, `[a-z][a-z0-9-]{1,39}`, not one of the built-in role keys. */
  key: string;
  name: string;
  permissions: string[];
}

export interface RoleUpdateRequest {
  key: string;
  name?: string;
  permissions?: string[];
}

export interface RoleKeyRequest {
  key: string;
}
