import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Updateable } from 'kysely';
import type { DataSource } from 'typeorm';
import {
  IdentityEvent,
  IdentityOrganizationSubjects,
  type OrganizationUpdateRequest,
  type OrganizationView,
  type RequestEnvelope,
  type ResolveFormKeyRequest,
  type ResolveFormKeyResponse,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { randomToken } from '@keyhouse/util';
import type { IdentityDb } from '../../database/identity.db';
import { toOrganizationView } from './organization.mapper';

/** Roles the 2FA policy may cover (clients excluded: they sign in to the portal). */
export const MFA_POLICY_ROLES = ['owner', 'admin', 'manager', 'agent'];

/** The caller's organization: branding, affiliate rate, 2FA policy, session lifetime, form key. */
@Injectable()
export class OrganizationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** The caller's organization (`organizations:read`). */
  @RpcHandler(IdentityOrganizationSubjects.getCurrent)
  async getCurrent(envelope: RequestEnvelope<Record<string, never>>): Promise<OrganizationView> {
    requireScope(envelope.actor, 'organizations:read');
    const row = await kyselyFor<IdentityDb>(this.dataSource)
      .selectFrom('organization')
      .selectAll()
      .where('id', '=', envelope.actor!.orgId)
      .executeTakeFirstOrThrow();
    return toOrganizationView(row);
  }

  /**
   * The organization of a public form key (public lead capture and client self-registration; the
   * gateway calls this without an actor). Unknown key → 404 `FORM_KEY_UNKNOWN`.
   */
  @RpcHandler(IdentityOrganizationSubjects.resolveFormKey)
  async resolveFormKey(envelope: RequestEnvelope<ResolveFormKeyRequest>): Promise<ResolveFormKeyResponse> {
    const formKey = envelope.data?.formKey;
    const row =
      typeof formKey === 'string' && formKey.length <= 100
        ? await kyselyFor<IdentityDb>(this.dataSource)
            .selectFrom('organization')
            .select('id')
            .where('public_form_key', '=', formKey)
            .executeTakeFirst()
        : undefined;
    if (!row) throw DomainException.notFound('FORM_KEY_UNKNOWN', 'Form key');
    return { orgId: row.id };
  }

  /**
   * Changes the caller's organization settings (`organizations:write` at org scope); emits
   * `identity.organization.updated` with the fields that changed.
   *
   * @throws DomainException 422 for roles the 2FA policy cannot cover.
   */
  @RpcHandler(IdentityOrganizationSubjects.updateCurrent)
  async updateCurrent(envelope: RequestEnvelope<OrganizationUpdateRequest>): Promise<OrganizationView> {
    const actor = envelope.actor!;
    requireScope(actor, 'organizations:write', 'org');
    const data = envelope.data;
    const invalidRoles = (data.mfaRequiredRoles ?? []).filter((role) => !MFA_POLICY_ROLES.includes(role));
    if (invalidRoles.length > 0) {
      throw DomainException.validation([{ field: 'mfaRequiredRoles', message: `unknown roles: ${invalidRoles.join(', ')}` }]);
    }
    return this.unitOfWork.run(envelope, async (unit) => {
      const db = kyselyFor<IdentityDb>(unit.manager);
      const beforeRow = await db.selectFrom('organization').selectAll().where('id', '=', actor.orgId).forUpdate().executeTakeFirstOrThrow();
      const before = toOrganizationView(beforeRow);
      const next: Updateable<IdentityDb['organization']> = {
        name: data.name?.trim() ?? before.name,
        display_name: data.branding?.displayName !== undefined ? data.branding.displayName : before.branding.displayName,
        logo_url: data.branding?.logoUrl !== undefined ? data.branding.logoUrl : before.branding.logoUrl,
        primary_color: data.branding?.primaryColor !== undefined ? data.branding.primaryColor : before.branding.primaryColor,
        secondary_color: data.branding?.secondaryColor !== undefined ? data.branding.secondaryColor : before.branding.secondaryColor,
        affiliate_rate_bps: data.affiliateRateBps ?? before.affiliateRateBps,
        mfa_required_roles: data.mfaRequiredRoles ? [...new Set(data.mfaRequiredRoles)].sort() : before.mfaRequiredRoles,
        session_lifetime_minutes: data.sessionLifetimeMinutes ?? before.sessionLifetimeMinutes,
        public_form_key: data.rotatePublicFormKey ? `pfk_${randomToken(18)}` : before.publicFormKey,
      };
      const row = await db
        .updateTable('organization')
        .set({ ...next, updated_at: sql<Date>`now()` })
        .where('id', '=', actor.orgId)
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = toOrganizationView(row);
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      const comparable = (view: OrganizationView) => ({
        name: view.name,
        branding: view.branding,
        affiliateRateBps: view.affiliateRateBps,
        mfaRequiredRoles: view.mfaRequiredRoles,
        sessionLifetimeMinutes: view.sessionLifetimeMinutes,
        publicFormKey: view.publicFormKey,
      });
      const [a, b] = [comparable(before), comparable(after)];
      for (const key of Object.keys(a) as Array<keyof typeof a>) {
        if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) changes[key] = { from: a[key], to: b[key] };
      }
      if (Object.keys(changes).length > 0) {
        await unit.emit(IdentityEvent.organizationUpdated, actor.orgId, actor.orgId, {
          organizationId: actor.orgId,
          changes,
        });
      }
      return after;
    });
  }
}
