import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Actor, PermissionKey } from '@keyhouse/contracts';
import { DomainException } from '@keyhouse/platform/messaging';
import { kyselyFor } from '@keyhouse/platform/database';
import { isUuid } from '@keyhouse/util';
import { CrmErrorCode } from '../../crm.exception';
import type { CrmDb } from '../../database/crm.db';
import { contactVisibleTo } from './contact-access.util';
import type { ContactRow } from './contact.row';

/**
 * Loads one contact the caller may reach with a permission. A contact of another organization,
 * one outside the caller's scope (an agent's colleague's lead) and a deleted one all answer 404
 * `CONTACT_NOT_FOUND`, so existence is not revealed; a merged one answers 404 `CONTACT_MERGED`
 * with `mergedIntoId`.
 */
@Injectable()
export class ContactLookup {
  async visible(
    manager: EntityManager,
    actor: Actor | null | undefined,
    permission: PermissionKey,
    id: string,
    lock = false,
  ): Promise<ContactRow> {
    const visibility = contactVisibleTo(actor, permission);
    if (!isUuid(id)) throw DomainException.notFound(CrmErrorCode.ContactNotFound, 'Contact');
    let query = kyselyFor<CrmDb>(manager)
      .selectFrom('contact as c')
      .selectAll('c')
      .where('c.org_id', '=', actor!.orgId)
      .where('c.id', '=', id)
      .where(visibility);
    if (lock) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row || (row.deleted_at && !row.merged_into_id)) throw DomainException.notFound(CrmErrorCode.ContactNotFound, 'Contact');
    if (row.merged_into_id) {
      throw new DomainException('not_found', CrmErrorCode.ContactMerged, 'This contact was merged into another', undefined, {
        mergedIntoId: row.merged_into_id,
      });
    }
    return row;
  }

  /** A live contact of the organization by id, no scope check (intake, jobs), optionally locked. */
  async byId(manager: EntityManager, orgId: string, id: string, lock = false): Promise<ContactRow | null> {
    let query = kyselyFor<CrmDb>(manager)
      .selectFrom('contact as c')
      .selectAll('c')
      .where('c.org_id', '=', orgId)
      .where('c.id', '=', id)
      .where('c.deleted_at', 'is', null);
    if (lock) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row ?? null;
  }
}
