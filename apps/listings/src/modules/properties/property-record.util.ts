import { LISTINGS_PROPERTY_TYPES, LISTINGS_STANDARD_STATUSES, type ListingsStandardStatus, type PropertyMedia } from '@keyhouse/contracts';
import { MAX_PRICE_CENTS } from '@keyhouse/util';

/**
 * A property as written by bulk paths (import, MLS pull, webhook): snake_case keys matching the
 * `property` columns, prices in cents, coordinates in degrees. `deleted` marks an MLS removal.
 */
export interface PropertyRecord {
  listing_key: string;
  listing_id: string | null;
  standard_status: ListingsStandardStatus;
  property_type: string;
  list_price: number | null;
  close_price: number | null;
  close_date: string | null;
  street_number: string | null;
  street_name: string | null;
  unit_number: string | null;
  city: string | null;
  state_or_province: string | null;
  postal_code: string | null;
  latitude: number | null;
  longitude: number | null;
  bedrooms_total: number | null;
  bathrooms_total_integer: number | null;
  living_area: number | null;
  lot_size_square_feet: number | null;
  year_built: number | null;
  public_remarks: string | null;
  list_agent_id: string | null;
  media: PropertyMedia[];
  attributes: Record<string, unknown>;
  /** ISO instant from the source (MLS); null means "now" when the record changes. */
  modification_timestamp: string | null;
  deleted: boolean;
}

export function emptyRecord(listingKey: string): PropertyRecord {
  return {
    listing_key: listingKey,
    listing_id: null,
    standard_status: 'Active',
    property_type: 'Residential',
    list_price: null,
    close_price: null,
    close_date: null,
    street_number: null,
    street_name: null,
    unit_number: null,
    city: null,
    state_or_province: null,
    postal_code: null,
    latitude: null,
    longitude: null,
    bedrooms_total: null,
    bathrooms_total_integer: null,
    living_area: null,
    lot_size_square_feet: null,
    year_built: null,
    public_remarks: null,
    list_agent_id: null,
    media: [],
    attributes: {},
    modification_timestamp: null,
    deleted: false,
  };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

const isCount = (value: number | null, max: number) => value === null || (Number.isInteger(value) && value >= 0 && value <= max);

/** Today as `YYYY-MM-DD` in UTC. */
export function todayUtc(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/**
 * Rules every stored property obeys, whatever its origin; returns the reasons it breaks them
 * (empty when valid). Closed needs ClosePrice and CloseDate (RESO: the sale happened), a
 * CloseDate is a real date not in the future, coordinates come in pairs within WGS 84 bounds.
 */
export function recordProblems(record: PropertyRecord, now = new Date()): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  if (!record.listing_key || record.listing_key.length > 255)
    problems.push({ field: 'listingKey', message: 'must be 1 to 255 characters' });
  if (!(LISTINGS_STANDARD_STATUSES as readonly string[]).includes(record.standard_status)) {
    problems.push({ field: 'standardStatus', message: `must be one of ${LISTINGS_STANDARD_STATUSES.join(', ')}` });
  }
  if (!(LISTINGS_PROPERTY_TYPES as readonly string[]).includes(record.property_type)) {
    problems.push({ field: 'propertyType', message: `must be one of ${LISTINGS_PROPERTY_TYPES.join(', ')}` });
  }
  for (const [field, value] of [
    ['listPrice', record.list_price],
    ['closePrice', record.close_price],
  ] as const) {
    if (value !== null && !(Number.isSafeInteger(value) && value >= 0 && value <= MAX_PRICE_CENTS)) {
      problems.push({ field, message: 'must be a whole number of cents between 0 and 10^12' });
    }
  }
  if (record.close_date !== null) {
    const parsed = DATE.test(record.close_date) ? new Date(`${record.close_date}T00:00:00Z`) : null;
    if (!parsed || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== record.close_date) {
      problems.push({ field: 'closeDate', message: 'must be a date YYYY-MM-DD' });
    } else if (record.close_date > todayUtc(now)) {
      problems.push({ field: 'closeDate', message: 'must not be in the future' });
    }
  }
  if (record.standard_status === 'Closed') {
    if (record.close_price === null) problems.push({ field: 'closePrice', message: 'is required when standardStatus is Closed' });
    if (record.close_date === null) problems.push({ field: 'closeDate', message: 'is required when standardStatus is Closed' });
  }
  if ((record.latitude === null) !== (record.longitude === null)) {
    problems.push({ field: 'latitude', message: 'latitude and longitude come together' });
  }
  if (record.latitude !== null && !(Number.isFinite(record.latitude) && Math.abs(record.latitude) <= 90)) {
    problems.push({ field: 'latitude', message: 'must be between -90 and 90' });
  }
  if (record.longitude !== null && !(Number.isFinite(record.longitude) && Math.abs(record.longitude) <= 180)) {
    problems.push({ field: 'longitude', message: 'must be between -180 and 180' });
  }
  if (!isCount(record.bedrooms_total, 1000)) problems.push({ field: 'bedroomsTotal', message: 'must be a whole number 0..1000' });
  if (!isCount(record.bathrooms_total_integer, 1000))
    problems.push({ field: 'bathroomsTotalInteger', message: 'must be a whole number 0..1000' });
  if (!isCount(record.living_area, 100_000_000)) problems.push({ field: 'livingArea', message: 'must be a whole number of square feet' });
  if (!isCount(record.lot_size_square_feet, 2_000_000_000))
    problems.push({ field: 'lotSizeSquareFeet', message: 'must be a whole number of square feet' });
  if (
    record.year_built !== null &&
    !(Number.isInteger(record.year_built) && record.year_built >= 1600 && record.year_built <= now.getUTCFullYear() + 5)
  ) {
    problems.push({ field: 'yearBuilt', message: 'must be a year between 1600 and five years from now' });
  }
  return problems;
}
