import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';
import {
  ListingsEvent,
  ListingsPropertySubjects as S,
  type PropertyCreateRequest,
  type PropertyFields,
  type PropertyUpdateRequest,
  type PropertyView,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { ListingsDb } from '../../database/listings.db';
import { ListingsErrorCode } from '../../listings.exception';
import { PropertyAccess } from './property-access.service';
import { STATUS_TRANSITIONS, toPropertyView } from './property.mapper';
import { PROPERTY_VIEW_COLUMNS } from './property.row';
import { emptyRecord, recordProblems, type PropertyRecord } from './property-record.util';
import { PropertyWriter } from './property-writer.service';

/** Maps API fields (camelCase RESO names) onto a record. Only fields present in `fields` change. */
function applyFields(record: PropertyRecord, fields: PropertyFields): PropertyRecord {
  const next = { ...record };
  const map: Array<[keyof PropertyFields, keyof PropertyRecord]> = [
    ['listingId', 'listing_id'],
    ['standardStatus', 'standard_status'],
    ['propertyType', 'property_type'],
    ['listPrice', 'list_price'],
    ['closePrice', 'close_price'],
    ['closeDate', 'close_date'],
    ['streetNumber', 'street_number'],
    ['streetName', 'street_name'],
    ['unitNumber', 'unit_number'],
    ['city', 'city'],
    ['stateOrProvince', 'state_or_province'],
    ['postalCode', 'postal_code'],
    ['latitude', 'latitude'],
    ['longitude', 'longitude'],
    ['bedroomsTotal', 'bedrooms_total'],
    ['bathroomsTotalInteger', 'bathrooms_total_integer'],
    ['livingArea', 'living_area'],
    ['lotSizeSquareFeet', 'lot_size_square_feet'],
    ['yearBuilt', 'year_built'],
    ['publicRemarks', 'public_remarks'],
    ['listAgentId', 'list_agent_id'],
    ['media', 'media'],
  ];
  for (const [field, column] of map) {
    if (fields[field] !== undefined) (next as Record<string, unknown>)[column] = fields[field];
  }
  if (fields.media)
    next.media = [...fields.media]
      .sort((a, b) => a.order - b.order)
      .map((m) => ({ url: m.url, order: m.order, caption: m.caption ?? null }));
  return next;
}

export function recordOfView(view: PropertyView): PropertyRecord {
  return {
    ...emptyRecord(view.listingKey),
    listing_id: view.listingId,
    standard_status: view.standardStatus,
    property_type: view.propertyType,
    list_price: view.listPrice,
    close_price: view.closePrice,
    close_date: view.closeDate,
    street_number: view.streetNumber,
    street_name: view.streetName,
    unit_number: view.unitNumber,
    city: view.city,
    state_or_province: view.stateOrProvince,
    postal_code: view.postalCode,
    latitude: view.latitude,
    longitude: view.longitude,
    bedrooms_total: view.bedroomsTotal,
    bathrooms_total_integer: view.bathroomsTotalInteger,
    living_area: view.livingArea,
    lot_size_square_feet: view.lotSizeSquareFeet,
    year_built: view.yearBuilt,
    public_remarks: view.publicRemarks,
    list_agent_id: view.listAgentId,
    media: view.media,
    attributes: view.attributes,
  };
}

function assertValid(record: PropertyRecord): void {
  const problems = recordProblems(record);
  if (problems.length === 0) return;
  const closed = problems.some((p) => p.message.includes('required when standardStatus is Closed'));
  throw DomainException.validation(problems, closed ? ListingsErrorCode.ClosedNeedsPriceAndDate : undefined);
}

/**
 * Properties created and edited in Keyhouse: create, read, update (with the StandardStatus
 * transition table of `STATUS_TRANSITIONS`), soft delete. Every change emits its event in the
 * same unit of work. NATS responders of `listings.properties.{create,get,update,delete}`.
 */
@Injectable()
export class PropertiesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
    private readonly access: PropertyAccess,
    private readonly writer: PropertyWriter,
  ) {}

  /**
   * Creates a listing; the caller is the list agent unless `listAgentId` says otherwise
   * → `listings.property.created` (+ `listings.search.matched`).
   *
   * @throws 409 `LISTING_KEY_TAKEN`; 403 `NOT_LIST_AGENT`; 422 `UNKNOWN_LIST_AGENT`; 400 on invalid fields
   *   (`CLOSED_NEEDS_CLOSE_PRICE_AND_DATE` for a Closed listing without them).
   */
  @RpcHandler(S.create)
  async create(envelope: RequestEnvelope<PropertyCreateRequest>): Promise<PropertyView> {
    const actor = envelope.actor!;
    const data = envelope.data;
    const listAgentId = data.listAgentId === undefined ? (actor.userId ?? null) : data.listAgentId;
    if (listAgentId) await this.access.assertMayAssign(envelope, listAgentId);
    else this.access.requireOrgWrite(actor);
    const record = applyFields(emptyRecord(data.listingKey ?? `KH-${newId()}`), { ...data, listAgentId });
    assertValid(record);
    const view = await this.unitOfWork.run(envelope, (unit) => this.writer.insertOne(unit, actor.orgId, 'manual', record));
    if (!view) {
      throw new DomainException('conflict', ListingsErrorCode.ListingKeyTaken, 'A property with this listingKey exists', [
        { field: 'listingKey', message: 'is already used in this organization' },
      ]);
    }
    return view;
  }

  /** A listing the caller may read (404 `PROPERTY_NOT_FOUND` otherwise). */
  @RpcHandler(S.get)
  async get(envelope: RequestEnvelope<{ id: string }>): Promise<PropertyView> {
    const actor = envelope.actor!;
    const visible = this.access.readCondition(actor);
    const row = await kyselyFor<ListingsDb>(this.dataSource)
      .selectFrom('property as p')
      .select(PROPERTY_VIEW_COLUMNS)
      .where('p.org_id', '=', actor.orgId)
      .where('p.id', '=', envelope.data.id)
      .where('p.deleted_at', 'is', null)
      .where(visible)
      .executeTakeFirst();
    if (!row) throw DomainException.notFound(ListingsErrorCode.PropertyNotFound, 'Property');
    return toPropertyView(row);
  }

  /**
   * Changes a listing (only the fields present) → `listings.property.updated` and/or
   * `listings.property.status_changed` (+ `listings.search.matched`).
   *
   * @throws 404 `PROPERTY_NOT_FOUND`; 403 `NOT_LIST_AGENT`; 422 `INVALID_STATUS_TRANSITION`, `UNKNOWN_LIST_AGENT`; 400 on invalid fields.
   */
  @RpcHandler(S.update)
  async update(envelope: RequestEnvelope<PropertyUpdateRequest>): Promise<PropertyView> {
    const { id, ...fields } = envelope.data;
    return this.unitOfWork.run(envelope, async (unit) => {
      const before = await this.locked(unit.manager, envelope.actor!.orgId, id);
      await this.access.assertMayWrite(envelope, before.listAgentId);
      if (fields.listAgentId && fields.listAgentId !== before.listAgentId) await this.access.assertMayAssign(envelope, fields.listAgentId);
      if (
        fields.standardStatus &&
        fields.standardStatus !== before.standardStatus &&
        !STATUS_TRANSITIONS[before.standardStatus].includes(fields.standardStatus)
      ) {
        throw new DomainException(
          'unprocessable',
          ListingsErrorCode.InvalidStatusTransition,
          `A ${before.standardStatus} listing cannot become ${fields.standardStatus}`,
          [
            {
              field: 'standardStatus',
              message: `allowed from ${before.standardStatus}: ${STATUS_TRANSITIONS[before.standardStatus].join(', ') || 'none'}`,
            },
          ],
        );
      }
      const record = applyFields(recordOfView(before), fields);
      assertValid(record);
      return this.writer.updateOne(unit, before, record);
    });
  }

  /** Soft delete → `listings.property.deleted`. @throws 404 `PROPERTY_NOT_FOUND`; 403 `NOT_LIST_AGENT`. */
  @RpcHandler(S.delete)
  async delete(envelope: RequestEnvelope<{ id: string }>): Promise<void> {
    const actor = envelope.actor!;
    await this.unitOfWork.run(envelope, async (unit) => {
      const before = await this.locked(unit.manager, actor.orgId, envelope.data.id);
      await this.access.assertMayWrite(envelope, before.listAgentId);
      await kyselyFor<ListingsDb>(unit.manager)
        .updateTable('property')
        .set({ deleted_at: sql<Date>`now()`, modification_timestamp: sql<Date>`now()` })
        .where('id', '=', before.id)
        .execute();
      await unit.emit(ListingsEvent.propertyDeleted, before.id, actor.orgId, {
        propertyId: before.id,
        listingKey: before.listingKey,
      });
    });
  }

  private async locked(manager: EntityManager, orgId: string, id: string): Promise<PropertyView> {
    const row = await kyselyFor<ListingsDb>(manager)
      .selectFrom('property as p')
      .select(PROPERTY_VIEW_COLUMNS)
      .where('p.org_id', '=', orgId)
      .where('p.id', '=', id)
      .where('p.deleted_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw DomainException.notFound(ListingsErrorCode.PropertyNotFound, 'Property');
    return toPropertyView(row);
  }
}
