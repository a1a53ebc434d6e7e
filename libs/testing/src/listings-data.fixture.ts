import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PropertyCreateRequest } from '@keyhouse/contracts';

/** The real King County file (../shared/data/king-county/kc_house_data.csv). */
export const KING_COUNTY_FILE = path.resolve(__dirname, '../../../../shared/data/king-county/kc_house_data.csv');

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

/** A valid manual listing (`listings.properties.create`): Active, Residential, $750,000 in Fremont; override what the test is about. */
export function propertyBody(overrides: Partial<PropertyCreateRequest> & Record<string, unknown> = {}): PropertyCreateRequest {
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
