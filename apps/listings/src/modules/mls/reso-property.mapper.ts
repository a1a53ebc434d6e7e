import { LISTINGS_PROPERTY_TYPES, LISTINGS_STANDARD_STATUSES, type PropertyMedia } from '@keyhouse/contracts';
import { emptyRecord, recordProblems, type PropertyRecord } from '../properties/property-record.util';

/** RESO lookup value (DD 2.0 StandardLookupValue, e.g. `Active Under Contract`) of a legacy OData enum name (`ActiveUnderContract`). */
function lookupValue(value: unknown, allowed: readonly string[]): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  if (allowed.includes(trimmed)) return trimmed;
  const compact = trimmed.replace(/\s+/g, '').toLowerCase();
  return allowed.find((candidate) => candidate.replace(/\s+/g, '').toLowerCase() === compact) ?? null;
}

export type ResoMapped =
  | { kind: 'upsert'; listingKey: string; record: PropertyRecord; modificationTimestamp: string | null }
  | { kind: 'remove'; listingKey: string; modificationTimestamp: string | null }
  | { kind: 'invalid'; listingKey: string | null; reasons: string[] };

/**
 * Maps one RESO Web API `Property` record (PascalCase Data Dictionary fields, prices in dollars)
 * to a Keyhouse record (cents). `StandardStatus` accepts both the DD 2.0 lookup value and its
 * legacy OData spelling; `Delete` means the MLS removed the listing. Fields without a Keyhouse
 * column are ignored. Returns the reasons a record is refused.
 */
export function mapResoProperty(raw: unknown, now = new Date()): ResoMapped {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    return { kind: 'invalid', listingKey: null, reasons: ['record: must be an object'] };
  const value = raw as Record<string, unknown>;
  const reasons: string[] = [];
  const listingKey = typeof value.ListingKey === 'string' && value.ListingKey.trim() ? value.ListingKey.trim() : null;
  if (!listingKey) reasons.push('ListingKey: is required');
  let modificationTimestamp: string | null = null;
  if (value.ModificationTimestamp !== undefined && value.ModificationTimestamp !== null) {
    const parsed = typeof value.ModificationTimestamp === 'string' ? new Date(value.ModificationTimestamp) : null;
    if (!parsed || Number.isNaN(parsed.getTime())) reasons.push('ModificationTimestamp: must be an ISO 8601 instant');
    else modificationTimestamp = parsed.toISOString();
  }
  if (typeof value.StandardStatus === 'string' && value.StandardStatus.trim().toLowerCase() === 'delete') {
    return reasons.length ? { kind: 'invalid', listingKey, reasons } : { kind: 'remove', listingKey: listingKey!, modificationTimestamp };
  }
  const status = lookupValue(value.StandardStatus, LISTINGS_STANDARD_STATUSES);
  if (!status) reasons.push(`StandardStatus: must be one of ${LISTINGS_STANDARD_STATUSES.join(', ')} or Delete`);
  const type =
    value.PropertyType === undefined || value.PropertyType === null
      ? 'Residential'
      : lookupValue(value.PropertyType, LISTINGS_PROPERTY_TYPES);
  if (!type) reasons.push(`PropertyType: must be one of ${LISTINGS_PROPERTY_TYPES.join(', ')}`);

  const text = (field: string, max = 4000): string | null => {
    const v = value[field];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' && typeof v !== 'number') {
      reasons.push(`${field}: must be a string`);
      return null;
    }
    return String(v).slice(0, max);
  };
  const number = (field: string): number | null => {
    const v = value[field];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      reasons.push(`${field}: must be a number`);
      return null;
    }
    return v;
  };
  const dollarsToCents = (field: string) => {
    const v = number(field);
    return v === null ? null : Math.round(v * 100);
  };
  const closeDate = text('CloseDate', 10);
  const media: PropertyMedia[] = Array.isArray(value.Media)
    ? (value.Media as Array<Record<string, unknown>>)
        .filter((m) => m && typeof m.MediaURL === 'string')
        .map((m, i) => ({
          url: String(m.MediaURL),
          order: typeof m.Order === 'number' ? m.Order : i,
          caption: typeof m.ShortDescription === 'string' ? m.ShortDescription : null,
        }))
        .sort((a, b) => a.order - b.order)
    : [];
  const record: PropertyRecord = {
    ...emptyRecord(listingKey ?? ''),
    listing_id: text('ListingId', 64),
    standard_status: (status ?? 'Active') as PropertyRecord['standard_status'],
    property_type: type ?? 'Residential',
    list_price: dollarsToCents('ListPrice'),
    close_price: dollarsToCents('ClosePrice'),
    close_date: closeDate,
    street_number: text('StreetNumber', 20),
    street_name: text('StreetName', 200),
    unit_number: text('UnitNumber', 20),
    city: text('City', 100),
    state_or_province: text('StateOrProvince', 50),
    postal_code: text('PostalCode', 20),
    latitude: number('Latitude'),
    longitude: number('Longitude'),
    bedrooms_total: number('BedroomsTotal'),
    bathrooms_total_integer: number('BathroomsTotalInteger'),
    living_area: number('LivingArea'),
    lot_size_square_feet: number('LotSizeSquareFeet'),
    year_built: number('YearBuilt'),
    public_remarks: text('PublicRemarks'),
    media,
    attributes: { source: 'mls', ...(typeof value.ListAgentKey === 'string' ? { listAgentKey: value.ListAgentKey } : {}) },
    modification_timestamp: modificationTimestamp,
  };
  if (record.living_area !== null) record.living_area = Math.round(record.living_area);
  if (record.lot_size_square_feet !== null) record.lot_size_square_feet = Math.round(record.lot_size_square_feet);
  if (reasons.length === 0) reasons.push(...recordProblems(record, now).map((p) => `${resoName(p.field)}: ${p.message}`));
  if (reasons.length > 0) return { kind: 'invalid', listingKey, reasons };
  return { kind: 'upsert', listingKey: listingKey!, record, modificationTimestamp };
}

/** `closePrice` → `ClosePrice`. */
function resoName(field: string): string {
  return field.charAt(0).toUpperCase() + field.slice(1);
}
