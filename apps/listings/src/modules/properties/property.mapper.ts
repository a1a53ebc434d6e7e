import type { ListingsStandardStatus, PropertySnapshot, PropertyView } from '@keyhouse/contracts';
import type { PropertyViewRow } from './property.row';

const cents = (value: string | null): number | null => (value === null ? null : Number(value));

/** RESO `UnparsedAddress`: the street line built from its parts. */
export function unparsedAddress(row: Pick<PropertyViewRow, 'street_number' | 'street_name' | 'unit_number'>): string | null {
  const street = [row.street_number, row.street_name].filter(Boolean).join(' ');
  if (!street) return null;
  return row.unit_number ? `${street} #${row.unit_number}` : street;
}

/** The API view of a property read with `PROPERTY_VIEW_COLUMNS` (prices in cents, dates ISO 8601). */
export function toPropertyView(row: PropertyViewRow): PropertyView {
  return {
    id: row.id,
    orgId: row.org_id,
    listingKey: row.listing_key,
    listingId: row.listing_id,
    standardStatus: row.standard_status as ListingsStandardStatus,
    propertyType: row.property_type as PropertyView['propertyType'],
    listPrice: cents(row.list_price),
    closePrice: cents(row.close_price),
    closeDate: row.close_date,
    streetNumber: row.street_number,
    streetName: row.street_name,
    unitNumber: row.unit_number,
    unparsedAddress: unparsedAddress(row),
    city: row.city,
    stateOrProvince: row.state_or_province,
    postalCode: row.postal_code,
    latitude: row.latitude === null ? null : Number(row.latitude),
    longitude: row.longitude === null ? null : Number(row.longitude),
    bedroomsTotal: row.bedrooms_total,
    bathroomsTotalInteger: row.bathrooms_total_integer,
    livingArea: row.living_area,
    lotSizeSquareFeet: row.lot_size_square_feet,
    yearBuilt: row.year_built,
    publicRemarks: row.public_remarks,
    listAgentId: row.list_agent_id,
    media: row.media ?? [],
    origin: row.origin,
    attributes: row.attributes ?? {},
    modificationTimestamp: row.modification_timestamp.toISOString(),
    createdAt: row.created_at.toISOString(),
  };
}

export function snapshotOf(view: PropertyView): PropertySnapshot {
  return {
    propertyId: view.id,
    listingKey: view.listingKey,
    standardStatus: view.standardStatus,
    propertyType: view.propertyType,
    listPrice: view.listPrice,
    closePrice: view.closePrice,
    closeDate: view.closeDate,
    city: view.city,
    postalCode: view.postalCode,
    latitude: view.latitude,
    longitude: view.longitude,
    bedroomsTotal: view.bedroomsTotal,
    bathroomsTotalInteger: view.bathroomsTotalInteger,
    livingArea: view.livingArea,
    listAgentId: view.listAgentId,
    origin: view.origin,
  };
}

/**
 * Allowed `StandardStatus` changes of a listing edited in Keyhouse (RESO DD 2.0 StandardStatus
 * definitions; docs/adr/0011). Closed is final: a resale is a new listing. An MLS feed is the
 * source of truth for its own records and is not held to this table.
 */
export const STATUS_TRANSITIONS: Record<ListingsStandardStatus, readonly ListingsStandardStatus[]> = {
  'Coming Soon': ['Active', 'Hold', 'Withdrawn', 'Canceled', 'Expired'],
  Active: ['Active Under Contract', 'Pending', 'Hold', 'Withdrawn', 'Expired', 'Canceled'],
  'Active Under Contract': ['Active', 'Pending', 'Closed', 'Withdrawn', 'Canceled', 'Expired'],
  Pending: ['Active', 'Active Under Contract', 'Closed', 'Withdrawn', 'Canceled', 'Expired'],
  Withdrawn: ['Active', 'Coming Soon', 'Canceled', 'Expired'],
  Expired: ['Active', 'Coming Soon'],
  Canceled: ['Active', 'Coming Soon'],
  Closed: [],
  // Off the market for now, the contract still in place (RESO: "Withdrawn is a similar status").
  Hold: ['Active', 'Coming Soon', 'Withdrawn', 'Canceled', 'Expired'],
  // Not yet completely entered, never published (RESO "Draft").
  Incomplete: ['Coming Soon', 'Active', 'Canceled'],
};

/** Listings on the market: the only ones a client (portal user, `listings:read:own`) may see, and only when shared with them (docs/adr/0019). */
export const MARKETED_STATUSES: readonly ListingsStandardStatus[] = ['Coming Soon', 'Active', 'Active Under Contract', 'Pending'];

/** Fields compared to tell an update from a no-op, and reported in `changes`. */
export const COMPARED_FIELDS = [
  'listingId',
  'standardStatus',
  'propertyType',
  'listPrice',
  'closePrice',
  'closeDate',
  'streetNumber',
  'streetName',
  'unitNumber',
  'city',
  'stateOrProvince',
  'postalCode',
  'latitude',
  'longitude',
  'bedroomsTotal',
  'bathroomsTotalInteger',
  'livingArea',
  'lotSizeSquareFeet',
  'yearBuilt',
  'publicRemarks',
  'listAgentId',
  'media',
  'attributes',
] as const satisfies ReadonlyArray<keyof PropertyView>;

/** Field-level differences between two views of the same property. */
export function diffViews(before: PropertyView, after: PropertyView): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of COMPARED_FIELDS) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) changes[field] = { from: before[field], to: after[field] };
  }
  return changes;
}
