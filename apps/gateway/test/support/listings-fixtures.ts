import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import type { CloudEvent } from '@keyhouse/contracts';
import type { TestStack } from './stack';

export type Problem = { code: string; status: number; errors?: Array<{ field: string; message: string }> };
export type Page<T> = { items: T[]; nextCursor: string | null };

export interface Property {
  id: string;
  orgId: string;
  listingKey: string;
  standardStatus: string;
  propertyType: string;
  listPrice: number | null;
  closePrice: number | null;
  closeDate: string | null;
  city: string | null;
  postalCode: string | null;
  latitude: number | null;
  longitude: number | null;
  bedroomsTotal: number | null;
  bathroomsTotalInteger: number | null;
  livingArea: number | null;
  listAgentId: string | null;
  origin: string;
  media: Array<{ url: string; order: number; caption: string | null }>;
  modificationTimestamp: string;
  distanceMeters?: number;
  attributes: Record<string, unknown>;
}

/** The real King County file (../shared/data/king-county/kc_house_data.csv). */
export const KING_COUNTY_FILE = path.resolve(__dirname, '../../../../../shared/data/king-county/kc_house_data.csv');

/** The header and the first `rows` records of the real King County file. */
export function kingCountySlice(rows: number): string {
  const lines = fs.readFileSync(KING_COUNTY_FILE, 'utf8').split('\n');
  return `${lines.slice(0, rows + 1).join('\n')}\n`;
}

/** Great-circle distance in metres on a sphere of radius 6 371 008.8 m (mean Earth radius). */
export function haversineMeters(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLng = (lng2 - lng1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(a));
}

/** A valid manual listing body; override what the test is about. */
export function propertyBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    standardStatus: 'Active',
    propertyType: 'Residential',
    listPrice: 75_000_000,
    streetNumber: '4512',
    streetName: 'Fremont Ave N',
    city: 'Seattle',
    stateOrProvince: 'WA',
    postalCode: '98103',
    latitude: 47.6615,
    longitude: -122.3503,
    bedroomsTotal: 3,
    bathroomsTotalInteger: 2,
    livingArea: 1800,
    yearBuilt: 1925,
    ...overrides,
  };
}

/** Events of the listings outbox in the test database (the relay's input), oldest first. */
export async function outboxEvents<T = Record<string, unknown>>(stack: TestStack, type?: string): Promise<Array<CloudEvent<T>>> {
  const client = new Client({ connectionString: stack.env.LISTINGS_DATABASE_URL });
  await client.connect();
  try {
    const result = await client.query<{ payload: CloudEvent<T> }>(
      `SELECT payload FROM listings.outbox_event ${type ? 'WHERE event_type = $1' : ''} ORDER BY seq`,
      type ? [type] : [],
    );
    return result.rows.map((row) => row.payload);
  } finally {
    await client.end();
  }
}
