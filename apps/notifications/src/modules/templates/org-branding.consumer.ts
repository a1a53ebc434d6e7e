import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import { IdentityEvent, type CloudEvent, type OrganizationCreatedData, type OrganizationUpdatedData } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import type { NotificationsDb } from '../../database/notifications.db';
import { brandColor, brandLogoUrl } from '../email/notification-templates.constant';

/** Consumer group over `identity.events`, also the inbox's consumer name: never change it. */
export const NOTIFICATIONS_BRANDING_GROUP = 'notifications.branding';

/** The text of `value` trimmed, or null when it is not a non-empty string. */
function textOrNull(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/**
 * The organization branding read model (`org_branding`, issue 14 "the organization's branding
 * (name, logo, colours, sender) from identity"), so an email is branded without a call to
 * identity. Group `notifications.branding` over `identity.events`, each event applied once with
 * its inbox row: `identity.organization.created` stores the name; `identity.organization.updated`
 * applies `changes.name.to` and `changes.branding.to` (identity's whole
 * `{ displayName, logoUrl, primaryColor, secondaryColor }` object). A logo that is not an https
 * URL and a colour that is not `#RRGGBB` are stored as null (they go into HTML and CSS). Both
 * upsert: an update seen before (or without) the creation still records the branding. Emits nothing.
 */
@Injectable()
export class OrgBrandingConsumer {
  /** `identity.organization.created`: the organization's row with its name. */
  @OnEvent(IdentityEvent.organizationCreated, { group: NOTIFICATIONS_BRANDING_GROUP })
  async onOrganizationCreated(event: CloudEvent<OrganizationCreatedData>, unit: UnitOfWorkContext): Promise<void> {
    const orgId = event.data.organizationId ?? event.orgid;
    await kyselyFor<NotificationsDb>(unit.manager)
      .insertInto('org_branding')
      .values({ org_id: orgId, name: textOrNull(event.data.name) })
      .onConflict((conflict) =>
        conflict.column('org_id').doUpdateSet((eb) => ({ name: eb.ref('excluded.name'), updated_at: sql<Date>`now()` })),
      )
      .execute();
  }

  /** `identity.organization.updated`: the changed name and branding (other changes are not ours). */
  @OnEvent(IdentityEvent.organizationUpdated, { group: NOTIFICATIONS_BRANDING_GROUP })
  async onOrganizationUpdated(event: CloudEvent<OrganizationUpdatedData>, unit: UnitOfWorkContext): Promise<void> {
    const orgId = event.data.organizationId ?? event.orgid;
    const changes = event.data.changes ?? {};
    const set: {
      name?: string | null;
      display_name?: string | null;
      logo_url?: string | null;
      primary_color?: string | null;
      secondary_color?: string | null;
    } = {};
    if (changes.name) set.name = textOrNull(changes.name.to);
    if (changes.branding) {
      const to = (typeof changes.branding.to === 'object' && changes.branding.to !== null ? changes.branding.to : {}) as Record<
        string,
        unknown
      >;
      set.display_name = textOrNull(to.displayName);
      set.logo_url = brandLogoUrl(textOrNull(to.logoUrl));
      set.primary_color = brandColor(textOrNull(to.primaryColor));
      set.secondary_color = brandColor(textOrNull(to.secondaryColor));
    }
    if (Object.keys(set).length === 0) return;
    await kyselyFor<NotificationsDb>(unit.manager)
      .insertInto('org_branding')
      .values({ org_id: orgId, ...set })
      .onConflict((conflict) => conflict.column('org_id').doUpdateSet({ ...set, updated_at: sql<Date>`now()` }))
      .execute();
  }
}
