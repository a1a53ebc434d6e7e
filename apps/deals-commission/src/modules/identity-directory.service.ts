import { Injectable, Logger } from '@nestjs/common';
import {
  IdentityOrganizationSubjects,
  IdentityUserSubjects,
  type OrganizationView,
  type RequestEnvelope,
  type UserView,
} from '@keyhouse/contracts';
import { RpcClient } from '@keyhouse/platform/messaging';
import { requestLogFields } from '@keyhouse/platform/observability';

/**
 * What the deals service asks identity, always on the caller's own envelope (so identity applies
 * the caller's permissions): a user's teams, users' names for reports, the organization's branding.
 */
@Injectable()
export class IdentityDirectory {
  private readonly logger = new Logger(IdentityDirectory.name);

  constructor(private readonly rpc: RpcClient) {}

  /** The user, or throws identity's error (404 `USER_NOT_FOUND` for a user the caller cannot see). */
  user(envelope: RequestEnvelope, userId: string): Promise<UserView> {
    return this.rpc.request(IdentityUserSubjects.get, { ...envelope, data: { id: userId } });
  }

  /** Names of the organization's users the caller may read (up to 1 000), id → name; empty on failure. */
  async userNames(envelope: RequestEnvelope): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    try {
      let cursor: string | undefined;
      for (let page = 0; page < 10; page += 1) {
        const result = await this.rpc.request(IdentityUserSubjects.list, {
          ...envelope,
          data: { limit: 100, ...(cursor ? { cursor } : {}) },
        });
        for (const user of result.items) names.set(user.id, user.name);
        if (!result.nextCursor) break;
        cursor = result.nextCursor;
      }
    } catch (error) {
      this.logger.warn({ ...requestLogFields(envelope), err: error }, 'Could not read user names from identity');
    }
    return names;
  }

  /** The caller's organization (name, branding), or null when identity does not answer. */
  async organization(envelope: RequestEnvelope): Promise<OrganizationView | null> {
    try {
      return await this.rpc.request(IdentityOrganizationSubjects.getCurrent, { ...envelope, data: {} });
    } catch (error) {
      this.logger.warn({ ...requestLogFields(envelope), err: error }, 'Could not read the organization from identity');
      return null;
    }
  }
}
