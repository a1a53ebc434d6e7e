import type { OrganizationView } from '@keyhouse/contracts';

/** Maps an `organization` row (snake_case, as returned by a raw query) to its API view. */
export function toOrganizationView(row: Record<string, unknown>): OrganizationView {
  return {
    id: row.id as string,
    name: row.name as string,
    branding: {
      displayName: (row.display_name as string | null) ?? null,
      logoUrl: (row.logo_url as string | null) ?? null,
      primaryColor: (row.primary_color as string | null) ?? null,
      secondaryColor: (row.secondary_color as string | null) ?? null,
    },
    affiliateRateBps: row.affiliate_rate_bps as number,
    mfaRequiredRoles: row.mfa_required_roles as string[],
    sessionLifetimeMinutes: row.session_lifetime_minutes as number,
    publicFormKey: row.public_form_key as string,
    createdAt: (row.created_at as Date).toISOString(),
    updatedAt: (row.updated_at as Date).toISOString(),
  };
}
