import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Actor, PermissionKey } from '@keyhouse/contracts';
import { DomainException } from '@keyhouse/platform/messaging';
import { isUuid } from '@keyhouse/util';
import { CrmErrorCode } from '../../crm.exception';
import { contactVisibility } from './contact-access.util';
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
    const params: unknown[] = [];
    const visibility = contactVisibility(actor, permission, params);
    if (!isUuid(id)) throw DomainException.notFound(CrmErrorCode.ContactNotFound, 'Contact');
    params.push(actor!.orgId, id);
    const [row] = (await manager.query(
      `SELECT c.* FROM contact c WHERE c.org_id = $${params.length - 1} AND c.id = $${params.length} AND ${visibility} ${lock ? 'FOR UPDATE' : ''}`,
      params,
    )) as ContactRow[];
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
    const [row] = (await manager.query(
      `SELECT c.* FROM contact c WHERE c.org_id = $1 AND c.id = $2 AND c.deleted_at IS NULL ${lock ? 'FOR UPDATE' : ''}`,
      [orgId, id],
    )) as ContactRow[];
    return row ?? null;
  }
}
