'use strict';
/**
 * Listings demo data, through the public API only:
 * - the real King County house sales (../shared/data/king-county/kc_house_data.csv, or the file
 *   named by KING_COUNTY_CSV) imported into the demo organization as Closed listings with
 *   `POST /v1/properties/import` (text/csv; the gateway sends it to the service in chunks). The
 *   import is idempotent (ListingKey = KC id + sale date); the seed skips it when the sales are there.
 * - two active listings for each demo agent (ava@, ben@, chloe@demo.keyhouse.test) in their ZIP
 *   areas, created by the agent; fixed ListingKeys make a re-run answer 409 and change nothing.
 */
const fs = require('node:fs');
const path = require('node:path');

const KING_COUNTY_CSV = process.env.KING_COUNTY_CSV || path.resolve(__dirname, '../../../shared/data/king-county/kc_house_data.csv');

const AGENT_LISTINGS = {
  'ava@demo.keyhouse.test': [
    {
      listingKey: 'DEMO-AVA-1',
      streetNumber: '4512',
      streetName: 'Fremont Ave N',
      city: 'Seattle',
      postalCode: '98103',
      latitude: 47.6615,
      longitude: -122.3503,
      listPrice: 89_500_000,
      bedroomsTotal: 3,
      bathroomsTotalInteger: 2,
      livingArea: 1760,
      yearBuilt: 1924,
    },
    {
      listingKey: 'DEMO-AVA-2',
      streetNumber: '5230',
      streetName: '17th Ave NE',
      city: 'Seattle',
      postalCode: '98105',
      latitude: 47.6668,
      longitude: -122.3099,
      listPrice: 112_000_000,
      bedroomsTotal: 4,
      bathroomsTotalInteger: 3,
      livingArea: 2450,
      yearBuilt: 1931,
    },
  ],
  'ben@demo.keyhouse.test': [
    {
      listingKey: 'DEMO-BEN-1',
      streetNumber: '10612',
      streetName: 'NE 21st St',
      city: 'Bellevue',
      postalCode: '98004',
      latitude: 47.6273,
      longitude: -122.2012,
      listPrice: 215_000_000,
      bedroomsTotal: 4,
      bathroomsTotalInteger: 4,
      livingArea: 3300,
      yearBuilt: 1978,
    },
    {
      listingKey: 'DEMO-BEN-2',
      streetNumber: '4421',
      streetName: '139th Ave SE',
      city: 'Bellevue',
      postalCode: '98006',
      latitude: 47.5621,
      longitude: -122.154,
      listPrice: 138_000_000,
      bedroomsTotal: 4,
      bathroomsTotalInteger: 3,
      livingArea: 2650,
      yearBuilt: 1985,
      standardStatus: 'Coming Soon',
    },
  ],
  'chloe@demo.keyhouse.test': [
    {
      listingKey: 'DEMO-CHLOE-1',
      streetNumber: '8215',
      streetName: '163rd Ave NE',
      city: 'Redmond',
      postalCode: '98052',
      latitude: 47.6775,
      longitude: -122.1186,
      listPrice: 99_900_000,
      bedroomsTotal: 3,
      bathroomsTotalInteger: 3,
      livingArea: 1980,
      yearBuilt: 2004,
    },
    {
      listingKey: 'DEMO-CHLOE-2',
      streetNumber: '2620',
      streetName: '228th Ave SE',
      city: 'Sammamish',
      postalCode: '98074',
      latitude: 47.5868,
      longitude: -122.0346,
      listPrice: 165_000_000,
      bedroomsTotal: 5,
      bathroomsTotalInteger: 4,
      livingArea: 3600,
      yearBuilt: 2012,
    },
  ],
};

async function seed(context) {
  const ownerToken = await context.login(context.demo.owner.email);
  const parts = [];
  const present = await context.api('GET', '/v1/properties?standardStatus=Closed&postalCode=98178&limit=1', undefined, ownerToken);
  if (present.status !== 200) throw new Error(`listings seed: listing failed: ${JSON.stringify(present.body)}`);
  if (present.body.items.length > 0) {
    parts.push('King County sales already present');
  } else if (!fs.existsSync(KING_COUNTY_CSV)) {
    parts.push(`King County file not found at ${KING_COUNTY_CSV}`);
  } else {
    const response = await fetch(`${context.base}/v1/properties/import`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${ownerToken}` },
      body: fs.readFileSync(KING_COUNTY_CSV, 'utf8'),
    });
    const result = await response.json();
    if (response.status !== 200) throw new Error(`listings seed: King County import failed: ${JSON.stringify(result)}`);
    parts.push(`${result.created} King County sales imported (${result.rejected} rejected) in ${result.durationMs} ms`);
  }
  let created = 0;
  for (const [email, listings] of Object.entries(AGENT_LISTINGS)) {
    const token = await context.login(email);
    for (const listing of listings) {
      const response = await context.api(
        'POST',
        '/v1/properties',
        { standardStatus: 'Active', propertyType: 'Residential', stateOrProvince: 'WA', ...listing },
        token,
      );
      if (response.status === 201) created += 1;
      else if (response.status !== 409) throw new Error(`listings seed: ${listing.listingKey}: ${JSON.stringify(response.body)}`);
    }
  }
  parts.push(`${created} agent listings created`);
  return parts.join('; ');
}

module.exports = { seed };
