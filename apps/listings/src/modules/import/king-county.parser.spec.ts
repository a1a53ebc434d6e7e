import { kingCountyListingKey, parseKingCountyCsv, InvalidKingCountyFileError } from './king-county.parser';

const HEADER =
  'id,date,price,bedrooms,bathrooms,sqft_living,sqft_lot,floors,waterfront,view,condition,grade,sqft_above,sqft_basement,yr_built,yr_renovated,zipcode,lat,long,sqft_living15,sqft_lot15';
const NOW = new Date('2026-01-01T00:00:00Z');

describe('parseKingCountyCsv', () => {
  it('maps a real row (kc_house_data.csv line 2) to a Closed residential sale in cents with RESO fields', () => {
    const [row] = parseKingCountyCsv(
      `${HEADER}\n"7129300520","20141013T000000",221900,3,1,1180,5650,"1",0,0,3,7,1180,0,1955,0,"98178",47.5112,-122.257,1340,5650\n`,
      null,
      NOW,
    );
    expect(row.reasons).toEqual([]);
    expect(row.listingKey).toBe('KC-7129300520-20141013');
    expect(row.record).toMatchObject({
      listing_key: 'KC-7129300520-20141013',
      standard_status: 'Closed',
      property_type: 'Residential',
      close_price: 22_190_000,
      close_date: '2014-10-13',
      list_price: null,
      bedrooms_total: 3,
      bathrooms_total_integer: 1,
      living_area: 1180,
      lot_size_square_feet: 5650,
      year_built: 1955,
      postal_code: '98178',
      state_or_province: 'WA',
      latitude: 47.5112,
      longitude: -122.257,
    });
    expect(row.record!.attributes).toMatchObject({
      grade: 7,
      condition: 3,
      floors: 1,
      waterfront: 0,
      yearRenovated: 0,
      kcId: '7129300520',
    });
  });

  it('reads scientific-notation prices, keeps leading zeros of ids, counts a partial bath as one', () => {
    const [row] = parseKingCountyCsv(
      `${HEADER}\n"0191100405","20150421T000000",1.575e+006,4,3.25,3770,8893,"2",0,2,3,11,3770,0,1999,0,"98040",47.5798,-122.232,3010,9860\n`,
      null,
      NOW,
    );
    expect(row.listingKey).toBe('KC-0191100405-20150421');
    expect(row.record).toMatchObject({ close_price: 157_500_000, bathrooms_total_integer: 4 });
  });

  it('rejects rows with reasons, numbering data rows from 1', () => {
    const rows = parseKingCountyCsv(
      [
        HEADER,
        '"1","20141013T000000",abc,3,1,1180,5650,"1",0,0,3,7,1180,0,1955,0,"98178",47.5,-122.2,1,1',
        '"2","2014-10-13",100,3,1,1180,5650,"1",0,0,3,7,1180,0,1955,0,"98178",47.5,-122.2,1,1',
        '"3","20141013T000000",100,3,1,1180,5650,"1",0,0,3,7,1180,0,1955,0,"98178",,-122.2,1,1',
        '"4","20141013T000000",100,3,1,1180,5650,"1",0,0,3,7,1180,0,1955,0,"98178",147.5,-122.2,1,1',
        '"5","20991013T000000",100,3,1,1180,5650,"1",0,0,3,7,1180,0,1955,0,"98178",47.5,-122.2,1,1',
        '"6","20141013T000000",100,3',
        '"7","20141013T000000",100,3,1,0,5650,"1",0,0,3,7,1180,0,1955,0,"9817",47.5,-122.2,1,1',
      ].join('\n'),
      null,
      NOW,
    );
    expect(rows.map((r) => [r.row, r.record === null])).toEqual([
      [1, true],
      [2, true],
      [3, true],
      [4, true],
      [5, true],
      [6, true],
      [7, true],
    ]);
    expect(rows[0].reasons).toEqual(['price: must be a number']);
    expect(rows[1].reasons).toEqual(['date: must be YYYYMMDDT000000']);
    expect(rows[2].reasons).toEqual(['lat: is required']);
    expect(rows[3].reasons).toEqual(['latitude: must be between -90 and 90']);
    expect(rows[4].reasons).toEqual(['closeDate: must not be in the future']);
    expect(rows[5].reasons).toEqual(['expected 21 fields, found 4']);
    expect(rows[6].reasons).toEqual(['sqft_living: must be at least 1', 'zipcode: must be 5 digits']);
  });

  it('refuses a file without the King County columns', () => {
    expect(() => parseKingCountyCsv('id,date,price\n1,2,3\n', null, NOW)).toThrow(InvalidKingCountyFileError);
  });
});

describe('kingCountyListingKey', () => {
  it('combines the parcel id and the sale day, so two sales of one house are two listings', () => {
    expect(kingCountyListingKey('6021501535', '20140725T000000')).toBe('KC-6021501535-20140725');
    expect(kingCountyListingKey('6021501535', '20141223T000000')).not.toBe(kingCountyListingKey('6021501535', '20140725T000000'));
  });
});
