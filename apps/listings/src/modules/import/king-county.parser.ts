import { parse } from 'csv-parse/sync';
import { emptyRecord, recordProblems, type PropertyRecord } from '../properties/property-record.util';

/** Columns of the King County house sales file (kc_house_data.csv). */
export const KING_COUNTY_COLUMNS = [
  'id',
  'date',
  'price',
  'bedrooms',
  'bathrooms',
  'sqft_living',
  'sqft_lot',
  'floors',
  'waterfront',
  'view',
  'condition',
  'grade',
  'sqft_above',
  'sqft_basement',
  'yr_built',
  'yr_renovated',
  'zipcode',
  'lat',
  'long',
  'sqft_living15',
  'sqft_lot15',
] as const;

export type KingCountyRow = Record<(typeof KING_COUNTY_COLUMNS)[number], string>;

/** One record of a King County CSV text after parsing: the mapped property, or why it was refused. */
export interface KingCountySaleRecord {
  /** 1-based data row number within the parsed text (header excluded). */
  row: number;
  listingKey: string | null;
  record: PropertyRecord | null;
  reasons: string[];
}

/** Thrown when the text is not a King County CSV at all (header missing columns, unbalanced quotes). */
export class InvalidKingCountyFileError extends Error {}

const INTEGER = /^-?\d+$/;
const NUMBER = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * The ListingKey of a King County sale: the parcel `id` and the sale `date`, so the same house sold
 * twice in the window gives two listings, and importing the same file again finds the same keys.
 */
export function kingCountyListingKey(id: string, date: string): string {
  return `KC-${id}-${date.slice(0, 8)}`;
}

/**
 * Maps one King County row to a Closed residential sale (RESO names): ClosePrice = price in cents,
 * CloseDate = date, BedroomsTotal, BathroomsTotalInteger = bathrooms rounded up (RESO counts a
 * partial bath as one: 2.25 → 3), LivingArea = sqft_living, LotSizeSquareFeet = sqft_lot,
 * YearBuilt, PostalCode = zipcode, StateOrProvince WA, Latitude/Longitude. The other columns
 * (floors, waterfront, view, condition, grade, sqft_above/basement, yr_renovated, the 15-neighbour
 * averages and the decimal bathrooms) go to `attributes`. Returns the reasons a row is refused.
 */
export function mapKingCountyRow(
  raw: KingCountyRow,
  listAgentId: string | null,
  now = new Date(),
): { record: PropertyRecord | null; listingKey: string | null; reasons: string[] } {
  const reasons: string[] = [];
  const id = (raw.id ?? '').trim();
  const date = (raw.date ?? '').trim();
  if (!/^\d{1,20}$/.test(id)) reasons.push('id: must be digits');
  const dateMatch = /^(\d{4})(\d{2})(\d{2})(T\d{6})?$/.exec(date);
  let closeDate: string | null = null;
  if (!dateMatch) reasons.push('date: must be YYYYMMDDT000000');
  else closeDate = `${dateMatch[1]}-${dateMatch[2]}-${dateMatch[3]}`;
  const listingKey = reasons.length === 0 ? kingCountyListingKey(id, date) : null;

  const number = (column: keyof KingCountyRow, options: { integer?: boolean; required?: boolean; min?: number } = {}): number | null => {
    const text = (raw[column] ?? '').trim();
    if (text === '') {
      if (options.required) reasons.push(`${column}: is required`);
      return null;
    }
    if (!(options.integer ? INTEGER : NUMBER).test(text)) {
      reasons.push(`${column}: must be ${options.integer ? 'a whole number' : 'a number'}`);
      return null;
    }
    const value = Number(text);
    if (options.min !== undefined && value < options.min) {
      reasons.push(`${column}: must be at least ${options.min}`);
      return null;
    }
    return value;
  };

  const price = number('price', { required: true, min: 1 });
  const bedrooms = number('bedrooms', { integer: true, min: 0 });
  const bathrooms = number('bathrooms', { min: 0 });
  const living = number('sqft_living', { integer: true, required: true, min: 1 });
  const lot = number('sqft_lot', { integer: true, min: 0 });
  const yearBuilt = number('yr_built', { integer: true });
  const latitude = number('lat', { required: true });
  const longitude = number('long', { required: true });
  const zip = (raw.zipcode ?? '').trim();
  if (!/^\d{5}$/.test(zip)) reasons.push('zipcode: must be 5 digits');
  if (reasons.length > 0) return { record: null, listingKey, reasons };

  const attributes: Record<string, unknown> = { source: 'king-county', kcId: id, bathrooms };
  const extras: Array<[keyof KingCountyRow, string]> = [
    ['floors', 'floors'],
    ['waterfront', 'waterfront'],
    ['view', 'view'],
    ['condition', 'condition'],
    ['grade', 'grade'],
    ['sqft_above', 'sqftAbove'],
    ['sqft_basement', 'sqftBasement'],
    ['yr_renovated', 'yearRenovated'],
    ['sqft_living15', 'sqftLiving15'],
    ['sqft_lot15', 'sqftLot15'],
  ];
  for (const [column, key] of extras) {
    const text = (raw[column] ?? '').trim();
    if (text !== '' && NUMBER.test(text)) attributes[key] = Number(text);
  }
  const record: PropertyRecord = {
    ...emptyRecord(listingKey!),
    standard_status: 'Closed',
    property_type: 'Residential',
    close_price: Math.round(price! * 100),
    close_date: closeDate,
    state_or_province: 'WA',
    postal_code: zip,
    latitude,
    longitude,
    bedrooms_total: bedrooms,
    bathrooms_total_integer: bathrooms === null ? null : Math.ceil(bathrooms),
    living_area: living,
    lot_size_square_feet: lot,
    year_built: yearBuilt === 0 ? null : yearBuilt,
    list_agent_id: listAgentId,
    attributes,
  };
  const problems = recordProblems(record, now);
  if (problems.length > 0) return { record: null, listingKey, reasons: problems.map((p) => `${p.field}: ${p.message}`) };
  return { record, listingKey, reasons: [] };
}

/** Parses a King County CSV text (header first) into mapped records and refused rows. */
export function parseKingCountyCsv(text: string, listAgentId: string | null, now = new Date()): KingCountySaleRecord[] {
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, trim: false }) as string[][];
  } catch (error) {
    throw new InvalidKingCountyFileError(`Not a CSV file: ${(error as Error).message}`);
  }
  const header = (rows.shift() ?? []).map((name) => name.trim().toLowerCase());
  const missing = KING_COUNTY_COLUMNS.filter((column) => !header.includes(column));
  if (missing.length > 0) throw new InvalidKingCountyFileError(`Missing columns: ${missing.join(', ')}`);
  return rows.map((cells, index) => {
    if (cells.length !== header.length) {
      return { row: index + 1, listingKey: null, record: null, reasons: [`expected ${header.length} fields, found ${cells.length}`] };
    }
    const raw = Object.fromEntries(header.map((name, i) => [name, cells[i]])) as KingCountyRow;
    return { row: index + 1, ...mapKingCountyRow(raw, listAgentId, now) };
  });
}
