import type { Selectable } from 'kysely';
import type { OrganizationView } from '@keyhouse/contracts';
import type { IdentityDb } from '../../database/identity.db';

/** A row of `organization` as node-postgres returns it (declared by the migrations: `identity.db.ts`). */
export type OrganizationRow = Selectable<IdentityDb['organization']>;

/** Maps an `organization` row to its API view. */
export function toOrganizationView(row: OrganizationRow): OrganizationView {
  return {
    id: row.id,
    name: row.name,
    branding: {
      displayName: row.display_name ?? null,
      logoUrl: row.logo_url ?? null,
      primaryColor: row.primary_color ?? null,
      secondaryColor: row.secondary_color ?? null,
    },
    affiliateRateBps: row.affiliate_rate_bps,
    mfaRequiredRoles: row.mfa_required_roles,
    sessionLifetimeMinutes: row.session_lifetime_minutes,
    publicFormKey: row.public_form_key,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
