import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Selectable } from 'kysely';
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
import { keysetPage, kyselyFor, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { ListingsDb } from '../../database/listings.db';
import { ListingsErrorCode } from '../../listings.exception';
import { PropertyAccess } from '../properties/property-access.service';
import { PropertySearchService } from '../properties/property-search.service';
import { SAVED_SEARCH_MATCH } from '../properties/property-writer.service';
import { ContactAccess } from './contact-access.service';

/** The columns of a `SavedSearchView`. */
const SAVED_SEARCH_VIEW_COLUMNS = ['id', 'contact_id', 'name', 'filters', 'geometry', 'created_by', 'created_at'] as const;

type SavedSearchViewRow = Pick<Selectable<ListingsDb['saved_search']>, (typeof SAVED_SEARCH_VIEW_COLUMNS)[number]>;

const toSavedSearch = (row: SavedSearchViewRow): SavedSearchView => ({
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
      const row = await kyselyFor<ListingsDb>(unit.manager)
        .insertInto('property_view')
        .values({ id, org_id: actor.orgId, property_id: data.propertyId, contact_id: data.contactId, source: data.source })
        .returning('viewed_at')
        .executeTakeFirstOrThrow();
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
      const row = await kyselyFor<ListingsDb>(unit.manager)
        .insertInto('contact_listing')
        .values({
          org_id: actor.orgId,
          contact_id: data.contactId,
          property_id: data.propertyId,
          preference: data.preference,
          note: data.note ?? null,
        })
        .onConflict((conflict) =>
          conflict.columns(['org_id', 'contact_id', 'property_id']).doUpdateSet((eb) => ({
            preference: eb.ref('excluded.preference'),
            note: eb.ref('excluded.note'),
            updated_at: sql<Date>`now()`,
          })),
        )
        .returning('updated_at')
        .executeTakeFirstOrThrow();
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
    let select = kyselyFor<ListingsDb>(this.dataSource)
      .selectFrom('contact_listing as c')
      .innerJoin('property as p', 'p.id', 'c.property_id')
      .select(['c.contact_id', 'c.property_id', 'c.preference', 'c.note', 'c.updated_at'])
      .where('c.org_id', '=', actor.orgId)
      .where('p.deleted_at', 'is', null)
      .where(this.access.readCondition(actor));
    if (data.contactId) {
      select = select.where('c.contact_id', '=', data.contactId);
    } else if (this.access.isClient(actor)) {
      // Per listing, a client sees only their own contact's interest.
      select = select.where('c.contact_id', '=', sql<string>`${await this.contacts.clientContactId(actor)}::uuid`);
    }
    if (data.propertyId) select = select.where('c.property_id', '=', data.propertyId);
    const page = keysetPage(
      select,
      { sort: sql.ref('c.updated_at'), id: sql.ref(data.contactId ? 'c.property_id' : 'c.contact_id'), direction: 'desc' },
      data,
    );
    const rows = await page.query.execute();
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
    const geoJson = geometry ? JSON.stringify(geometry) : null;
    const row = await this.unitOfWork.run(envelope, async (unit) => {
      const db = kyselyFor<ListingsDb>(unit.manager);
      const inserted = await db
        .insertInto('saved_search')
        .values({
          id,
          org_id: actor.orgId,
          contact_id: data.contactId,
          name: data.name.trim(),
          filters: JSON.stringify(filters),
          geometry: geoJson,
          area: geoJson === null ? null : sql<string>`public.ST_GeomFromGeoJSON(${geoJson}::text)::public.geography`,
          created_by: actor.userId ?? null,
        })
        .returning(SAVED_SEARCH_VIEW_COLUMNS)
        .executeTakeFirstOrThrow();
      await db
        .insertInto('saved_search_match')
        .columns(['org_id', 'contact_id', 'property_id', 'saved_search_id'])
        .expression((eb) =>
          eb
            .selectFrom('saved_search as s')
            .innerJoin('property as p', (join) => join.onRef('p.org_id', '=', 's.org_id').on('p.deleted_at', 'is', null))
            .select(['s.org_id', 's.contact_id', 'p.id as property_id', 's.id as saved_search_id'])
            .where('s.id', '=', id)
            .where(SAVED_SEARCH_MATCH),
        )
        .onConflict((conflict) => conflict.doNothing())
        .execute();
      await unit.emit(ListingsEvent.savedSearchCreated, id, actor.orgId, {
        savedSearchId: id,
        contactId: data.contactId,
        name: inserted.name,
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
    let select = kyselyFor<ListingsDb>(this.dataSource)
      .selectFrom('saved_search as s')
      .select(SAVED_SEARCH_VIEW_COLUMNS.map((column) => `s.${column}` as const))
      .where('s.org_id', '=', actor.orgId)
      .where('s.deleted_at', 'is', null);
    if (data.contactId) {
      await this.contacts.assertReadable(envelope, data.contactId);
      select = select.where('s.contact_id', '=', data.contactId);
    } else if (this.access.isClient(actor)) {
      select = select.where('s.contact_id', '=', sql<string>`${await this.contacts.clientContactId(actor)}::uuid`);
    } else if (scopeOf(actor, 'contacts:read') !== 'org') {
      // Without a contact, only the searches the caller saved (crm decides whose contacts they see).
      select = select.where('s.created_by', '=', sql<string>`${actor.userId ?? null}::uuid`);
    }
    const page = keysetPage(select, { sort: sql.ref('s.created_at'), id: sql.ref('s.id'), direction: 'desc' }, data);
    const rows = await page.query.execute();
    return toPage(rows, page.limit, (row) => ({ v: row.created_at, id: row.id }), toSavedSearch);
  }

  /** Soft delete; the caller must be able to read the search's contact (else 404 `SAVED_SEARCH_NOT_FOUND` as if absent) → `listings.saved_search.deleted`. */
  @RpcHandler(S.savedSearchDelete)
  async deleteSavedSearch(envelope: RequestEnvelope<{ id: string }>): Promise<void> {
    const actor = envelope.actor!;
    const notFound = () => DomainException.notFound(ListingsErrorCode.SavedSearchNotFound, 'Saved search');
    const search = await kyselyFor<ListingsDb>(this.dataSource)
      .selectFrom('saved_search')
      .select(['contact_id', 'name'])
      .where('org_id', '=', actor.orgId)
      .where('id', '=', envelope.data.id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!search) throw notFound();
    try {
      await this.contacts.assertReadable(envelope, search.contact_id);
    } catch (error) {
      if (error instanceof DomainException && error.kind === 'not_found') throw notFound();
      throw error;
    }
    await this.unitOfWork.run(envelope, async (unit) => {
      const result = await kyselyFor<ListingsDb>(unit.manager)
        .updateTable('saved_search')
        .set({ deleted_at: sql<Date>`now()` })
        .where('org_id', '=', actor.orgId)
        .where('id', '=', envelope.data.id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw notFound();
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
      const db = kyselyFor<ListingsDb>(manager);
      const inserted = await db
        .insertInto('property_share')
        .values({ org_id: actor.orgId, contact_id: data.contactId, property_id: data.propertyId, shared_by: actor.userId ?? null })
        .onConflict((conflict) => conflict.columns(['org_id', 'contact_id', 'property_id']).doNothing())
        .returning(['shared_by', 'shared_at'])
        .execute();
      if (inserted.length > 0) {
        await unit.emit(ListingsEvent.propertyShared, data.propertyId, actor.orgId, {
          propertyId: data.propertyId,
          contactId: data.contactId,
          by: actor.userId ?? null,
        });
      }
      const [row] = inserted.length
        ? inserted
        : await db
            .selectFrom('property_share')
            .select(['shared_by', 'shared_at'])
            .where('org_id', '=', actor.orgId)
            .where('contact_id', '=', data.contactId)
            .where('property_id', '=', data.propertyId)
            .execute();
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
      const result = await kyselyFor<ListingsDb>(unit.manager)
        .deleteFrom('property_share')
        .where('org_id', '=', actor.orgId)
        .where('contact_id', '=', data.contactId)
        .where('property_id', '=', data.propertyId)
        .executeTakeFirst();
      if (result.numDeletedRows === 0n) throw DomainException.notFound(ListingsErrorCode.ShareNotFound, 'Share');
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
    const visible = this.access.readCondition(actor);
    const rows = await kyselyFor<ListingsDb>(manager)
      .selectFrom('property as p')
      .select(sql<number>`1`.as('one'))
      .where('p.org_id', '=', actor.orgId)
      .where('p.id', '=', propertyId)
      .where('p.deleted_at', 'is', null)
      .where(visible)
      .execute();
    if (rows.length === 0) throw DomainException.notFound(ListingsErrorCode.PropertyNotFound, 'Property');
  }
}
