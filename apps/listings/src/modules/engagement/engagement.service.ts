import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  ListingsEngagementSubjects as S,
  ListingsEvent,
  type Actor,
  type ContactListingListRequest,
  type ContactListingPutRequest,
  type ContactListingView,
  type Page,
  type PropertyViewRecorded,
  type PropertyViewRecordRequest,
  type RequestEnvelope,
  type SavedSearchCreateRequest,
  type SavedSearchListRequest,
  type SavedSearchView,
  type ListingsShareRequest,
  type ListingsShareView,
} from '@keyhouse/contracts';
import { scopeOf } from '@keyhouse/platform/auth';
import { InvalidCursorError, keyset, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { ListingsErrorCode } from '../../listings.exception';
import { PropertyAccess } from '../properties/property-access.service';
import { PropertySearchService } from '../properties/property-search.service';
import { SAVED_SEARCH_MATCH } from '../properties/property-writer.service';
import { ContactAccess } from './contact-access.service';

function pageOrThrow<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new DomainException('validation', ListingsErrorCode.InvalidCursor, error.message, [
        { field: 'cursor', message: 'is not a cursor of this list' },
      ]);
    }
    throw error;
  }
}

interface SavedSearchRow {
  id: string;
  contact_id: string;
  name: string;
  filters: SavedSearchView['filters'];
  geometry: SavedSearchView['geometry'];
  created_by: string | null;
  created_at: Date;
}

const toSavedSearch = (row: SavedSearchRow): SavedSearchView => ({
  id: row.id,
  contactId: row.contact_id,
  name: row.name,
  filters: row.filters,
  geometry: row.geometry,
  createdBy: row.created_by,
  createdAt: row.created_at.toISOString(),
});

/**
 * How contacts engage with listings: views (from a website or the client portal), interest as
 * RESO ContactListings (Favorite, Possibility, Discard with a note), and saved searches whose
 * matches `PropertyWriter.matchSavedSearches` emits, and listings shared with a contact. Contact
 * ids are crm's: every path checks that the caller may read the contact (`ContactAccess`: crm's
 * answer for agents, the own contact for clients; 404 `CONTACT_NOT_FOUND` otherwise,
 * docs/adr/0019). A listing the caller cannot see is 404 `PROPERTY_NOT_FOUND`. NATS responders of
 * `listings.views.*`, `listings.interests.*`, `listings.saved-searches.*` and `listings.shares.*`.
 */
@Injectable()
export class EngagementService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
    private readonly access: PropertyAccess,
    private readonly search: PropertySearchService,
    private readonly contacts: ContactAccess,
  ) {}

  /** Records that a contact viewed a listing → `listings.property.viewed`. */
  @RpcHandler(S.recordView)
  async recordView(envelope: RequestEnvelope<PropertyViewRecordRequest>): Promise<PropertyViewRecorded> {
    const actor = envelope.actor!;
    const data = envelope.data;
    await this.contacts.assertReadable(envelope, data.contactId);
    return this.unitOfWork.run(envelope, async (unit) => {
      await this.assertVisible(unit.manager, actor, data.propertyId);
      const id = newId();
      const [row] = (await unit.manager.query(
        `INSERT INTO property_view (id, org_id, property_id, contact_id, source) VALUES ($1, $2, $3, $4, $5) RETURNING viewed_at`,
        [id, actor.orgId, data.propertyId, data.contactId, data.source],
      )) as Array<{ viewed_at: Date }>;
      const view = {
        id,
        propertyId: data.propertyId,
        contactId: data.contactId,
        source: data.source,
        viewedAt: row.viewed_at.toISOString(),
      };
      await unit.emit(ListingsEvent.propertyViewed, data.propertyId, actor.orgId, {
        viewId: id,
        propertyId: data.propertyId,
        contactId: data.contactId,
        source: data.source,
        viewedAt: view.viewedAt,
      });
      return view;
    });
  }

  /** Sets a contact's interest in a listing (RESO ContactListings) → `listings.contact_listing.changed`. */
  @RpcHandler(S.interestPut)
  async putInterest(envelope: RequestEnvelope<ContactListingPutRequest>): Promise<ContactListingView> {
    const actor = envelope.actor!;
    const data = envelope.data;
    await this.contacts.assertReadable(envelope, data.contactId);
    return this.unitOfWork.run(envelope, async (unit) => {
      await this.assertVisible(unit.manager, actor, data.propertyId);
      const [row] = (await unit.manager.query(
        `INSERT INTO contact_listing (org_id, contact_id, property_id, preference, note) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (org_id, contact_id, property_id) DO UPDATE SET preference = excluded.preference, note = excluded.note, updated_at = now()
         RETURNING updated_at`,
        [actor.orgId, data.contactId, data.propertyId, data.preference, data.note ?? null],
      )) as Array<{ updated_at: Date }>;
      await unit.emit(ListingsEvent.contactListingChanged, data.propertyId, actor.orgId, {
        contactId: data.contactId,
        propertyId: data.propertyId,
        preference: data.preference,
        note: data.note ?? null,
      });
      return {
        contactId: data.contactId,
        propertyId: data.propertyId,
        preference: data.preference,
        note: data.note ?? null,
        updatedAt: row.updated_at.toISOString(),
      };
    });
  }

  /** Interest per contact (`contactId`) or per listing (`propertyId`), most recent first (400 when neither is given). */
  @RpcHandler(S.interestList)
  async listInterests(envelope: RequestEnvelope<ContactListingListRequest>): Promise<Page<ContactListingView>> {
    const actor = envelope.actor!;
    const data = envelope.data;
    if (!data.contactId && !data.propertyId)
      throw DomainException.validation([{ field: 'contactId', message: 'contactId or propertyId is required' }]);
    if (data.contactId) await this.contacts.assertReadable(envelope, data.contactId);
    const params: unknown[] = [actor.orgId];
    const where = ['c.org_id = $1', 'p.deleted_at IS NULL'];
    where.push(this.access.readCondition(actor, params));
    if (data.contactId) {
      params.push(data.contactId);
      where.push(`c.contact_id = $${params.length}`);
    } else if (this.access.isClient(actor)) {
      // Per listing, a client sees only their own contact's interest.
      params.push(await this.contacts.clientContactId(actor));
      where.push(`c.contact_id = $${params.length}::uuid`);
    }
    if (data.propertyId) {
      params.push(data.propertyId);
      where.push(`c.property_id = $${params.length}`);
    }
    const idColumn = data.contactId ? 'c.property_id' : 'c.contact_id';
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: 'c.updated_at',
        idColumn,
        direction: 'DESC',
        cursor: data.cursor,
        limit: data.limit,
        firstParam: params.length + 1,
      }),
    );
    const rows = (await this.dataSource.query(
      `SELECT c.contact_id, c.property_id, c.preference, c.note, c.updated_at FROM contact_listing c JOIN property p ON p.id = c.property_id
       WHERE ${where.join(' AND ')} AND ${page.where} ${page.tail}`,
      [...params, ...page.params],
    )) as Array<{
      contact_id: string;
      property_id: string;
      preference: ContactListingView['preference'];
      note: string | null;
      updated_at: Date;
    }>;
    return toPage(
      rows,
      page.limit,
      (row) => ({ v: row.updated_at, id: data.contactId ? row.property_id : row.contact_id }),
      (row) => ({
        contactId: row.contact_id,
        propertyId: row.property_id,
        preference: row.preference,
        note: row.note,
        updatedAt: row.updated_at.toISOString(),
      }),
    );
  }

  /**
   * Saves a search for a contact. Listings that already match are recorded as matched without an
   * event, so `listings.search.matched` announces only listings that match from now on.
   * → `listings.saved_search.created`. @throws 400 `INVALID_GEOMETRY`.
   */
  @RpcHandler(S.savedSearchCreate)
  async createSavedSearch(envelope: RequestEnvelope<SavedSearchCreateRequest>): Promise<SavedSearchView> {
    const actor = envelope.actor!;
    const data = envelope.data;
    await this.contacts.assertReadable(envelope, data.contactId);
    const geometry = data.geometry ? await this.search.validArea(data.geometry) : null;
    const filters = Object.fromEntries(
      Object.entries(data.filters ?? {}).filter(([key, value]) => value !== undefined && key !== 'modifiedSince'),
    );
    const id = newId();
    const [row] = await this.unitOfWork.run(envelope, async (unit) => {
      const inserted = (await unit.manager.query(
        `INSERT INTO saved_search (id, org_id, contact_id, name, filters, geometry, area, created_by)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, CASE WHEN $6::text IS NULL THEN NULL ELSE public.ST_GeomFromGeoJSON($6::text)::public.geography END, $7)
         RETURNING id, contact_id, name, filters, geometry, created_by, created_at`,
        [
          id,
          actor.orgId,
          data.contactId,
          data.name.trim(),
          JSON.stringify(filters),
          geometry ? JSON.stringify(geometry) : null,
          actor.userId ?? null,
        ],
      )) as SavedSearchRow[];
      await unit.manager.query(
        `INSERT INTO saved_search_match (org_id, contact_id, property_id, saved_search_id)
         SELECT s.org_id, s.contact_id, p.id, s.id FROM saved_search s JOIN property p ON p.org_id = s.org_id AND p.deleted_at IS NULL
         WHERE s.id = $1 AND ${SAVED_SEARCH_MATCH}
         ON CONFLICT DO NOTHING`,
        [id],
      );
      await unit.emit(ListingsEvent.savedSearchCreated, id, actor.orgId, {
        savedSearchId: id,
        contactId: data.contactId,
        name: inserted[0].name,
      });
      return inserted;
    });
    return toSavedSearch(row);
  }

  /** Saved searches, newest first: of a contact, else the client's own, else those the caller saved (org scope: all). */
  @RpcHandler(S.savedSearchList)
  async listSavedSearches(envelope: RequestEnvelope<SavedSearchListRequest>): Promise<Page<SavedSearchView>> {
    const actor = envelope.actor!;
    const data = envelope.data;
    const params: unknown[] = [actor.orgId];
    const where = ['s.org_id = $1', 's.deleted_at IS NULL'];
    if (data.contactId) {
      await this.contacts.assertReadable(envelope, data.contactId);
      params.push(data.contactId);
      where.push(`s.contact_id = $${params.length}`);
    } else if (this.access.isClient(actor)) {
      params.push(await this.contacts.clientContactId(actor));
      where.push(`s.contact_id = $${params.length}::uuid`);
    } else if (scopeOf(actor, 'contacts:read') !== 'org') {
      // Without a contact, only the searches the caller saved (crm decides whose contacts they see).
      params.push(actor.userId ?? null);
      where.push(`s.created_by = $${params.length}::uuid`);
    }
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: 's.created_at',
        idColumn: 's.id',
        direction: 'DESC',
        cursor: data.cursor,
        limit: data.limit,
        firstParam: params.length + 1,
      }),
    );
    const rows = (await this.dataSource.query(
      `SELECT s.id, s.contact_id, s.name, s.filters, s.geometry, s.created_by, s.created_at FROM saved_search s
       WHERE ${where.join(' AND ')} AND ${page.where} ${page.tail}`,
      [...params, ...page.params],
    )) as SavedSearchRow[];
    return toPage(rows, page.limit, (row) => ({ v: row.created_at, id: row.id }), toSavedSearch);
  }

  /** Soft delete; the caller must be able to read the search's contact (else 404 `SAVED_SEARCH_NOT_FOUND` as if absent) → `listings.saved_search.deleted`. */
  @RpcHandler(S.savedSearchDelete)
  async deleteSavedSearch(envelope: RequestEnvelope<{ id: string }>): Promise<void> {
    const actor = envelope.actor!;
    const notFound = () => DomainException.notFound(ListingsErrorCode.SavedSearchNotFound, 'Saved search');
    const [search] = (await this.dataSource.query(
      `SELECT contact_id, name FROM saved_search WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL`,
      [actor.orgId, envelope.data.id],
    )) as Array<{ contact_id: string; name: string }>;
    if (!search) throw notFound();
    try {
      await this.contacts.assertReadable(envelope, search.contact_id);
    } catch (error) {
      if (error instanceof DomainException && error.kind === 'not_found') throw notFound();
      throw error;
    }
    await this.unitOfWork.run(envelope, async (unit) => {
      const result = (await unit.manager.query(
        `UPDATE saved_search SET deleted_at = now() WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL`,
        [actor.orgId, envelope.data.id],
      )) as [unknown[], number];
      if (result[1] === 0) throw notFound();
      await unit.emit(ListingsEvent.savedSearchDeleted, envelope.data.id, actor.orgId, {
        savedSearchId: envelope.data.id,
        contactId: search.contact_id,
        name: search.name,
      });
    });
  }

  /**
   * Shares a listing the caller can see with a contact they can read (agents, managers, admins;
   * clients 403 `CLIENTS_CANNOT_SHARE`). Sharing again changes nothing and emits nothing.
   * → `listings.property.shared`.
   */
  @RpcHandler(S.shareCreate)
  async share(envelope: RequestEnvelope<ListingsShareRequest>): Promise<ListingsShareView> {
    const actor = envelope.actor!;
    const data = envelope.data;
    this.assertMayShare(actor);
    await this.contacts.assertReadable(envelope, data.contactId);
    return this.unitOfWork.run(envelope, async (unit) => {
      const { manager } = unit;
      await this.assertVisible(manager, actor, data.propertyId);
      const inserted = (await manager.query(
        `INSERT INTO property_share (org_id, contact_id, property_id, shared_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id, contact_id, property_id) DO NOTHING RETURNING shared_by, shared_at`,
        [actor.orgId, data.contactId, data.propertyId, actor.userId ?? null],
      )) as Array<{ shared_by: string | null; shared_at: Date }>;
      if (inserted.length > 0) {
        await unit.emit(ListingsEvent.propertyShared, data.propertyId, actor.orgId, {
          propertyId: data.propertyId,
          contactId: data.contactId,
          by: actor.userId ?? null,
        });
      }
      const [row] = inserted.length
        ? inserted
        : ((await manager.query(
            `SELECT shared_by, shared_at FROM property_share WHERE org_id = $1 AND contact_id = $2 AND property_id = $3`,
            [actor.orgId, data.contactId, data.propertyId],
          )) as Array<{ shared_by: string | null; shared_at: Date }>);
      return { propertyId: data.propertyId, contactId: data.contactId, sharedBy: row.shared_by, sharedAt: row.shared_at.toISOString() };
    });
  }

  /** Withdraws a share (404 `SHARE_NOT_FOUND` when there is none; clients 403 `CLIENTS_CANNOT_SHARE`) → `listings.property.unshared`. */
  @RpcHandler(S.shareDelete)
  async unshare(envelope: RequestEnvelope<ListingsShareRequest>): Promise<void> {
    const actor = envelope.actor!;
    const data = envelope.data;
    this.assertMayShare(actor);
    await this.contacts.assertReadable(envelope, data.contactId);
    await this.unitOfWork.run(envelope, async (unit) => {
      await this.assertVisible(unit.manager, actor, data.propertyId);
      const result = (await unit.manager.query(`DELETE FROM property_share WHERE org_id = $1 AND contact_id = $2 AND property_id = $3`, [
        actor.orgId,
        data.contactId,
        data.propertyId,
      ])) as [unknown[], number];
      if (result[1] === 0) throw DomainException.notFound(ListingsErrorCode.ShareNotFound, 'Share');
      await unit.emit(ListingsEvent.propertyUnshared, data.propertyId, actor.orgId, {
        propertyId: data.propertyId,
        contactId: data.contactId,
        by: actor.userId ?? null,
      });
    });
  }

  private assertMayShare(actor: Actor): void {
    if (this.access.isClient(actor))
      throw DomainException.forbidden(ListingsErrorCode.ClientsCannotShare, 'Listings are shared with clients by their agent');
  }

  private async assertVisible(manager: EntityManager, actor: Actor, propertyId: string): Promise<void> {
    const params: unknown[] = [actor.orgId, propertyId];
    const visible = this.access.readCondition(actor, params);
    const rows = (await manager.query(
      `SELECT 1 FROM property p WHERE p.org_id = $1 AND p.id = $2 AND p.deleted_at IS NULL AND ${visible}`,
      params,
    )) as unknown[];
    if (rows.length === 0) throw DomainException.notFound(ListingsErrorCode.PropertyNotFound, 'Property');
  }
}
