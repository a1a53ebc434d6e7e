import { mapResoProperty } from './reso-property.mapper';

const NOW = new Date('2026-01-01T00:00:00Z');

describe('mapResoProperty', () => {
  it('maps the RESO commander payload record (dollars, legacy enum spelling) to cents and the DD 2.0 lookup value', () => {
    const mapped = mapResoProperty(
      {
        ListingKey: 'abc123',
        BedroomsTotal: 5,
        ListPrice: 100000.0,
        StreetName: 'Main',
        ModificationTimestamp: '2020-04-02T02:02:02.02Z',
        StandardStatus: 'ActiveUnderContract',
      },
      NOW,
    );
    expect(mapped).toMatchObject({
      kind: 'upsert',
      listingKey: 'abc123',
      modificationTimestamp: '2020-04-02T02:02:02.020Z',
      record: {
        standard_status: 'Active Under Contract',
        list_price: 10_000_000,
        bedrooms_total: 5,
        street_name: 'Main',
        property_type: 'Residential',
      },
    });
  });

  it('treats StandardStatus Delete as a removal', () => {
    expect(mapResoProperty({ ListingKey: 'k1', StandardStatus: 'Delete' }, NOW)).toEqual({
      kind: 'remove',
      listingKey: 'k1',
      modificationTimestamp: null,
    });
  });

  it('keeps the RESO statuses Hold and Incomplete as received (docs/adr/0019)', () => {
    expect(mapResoProperty({ ListingKey: 'h', StandardStatus: 'Hold' }, NOW)).toMatchObject({
      kind: 'upsert',
      record: { standard_status: 'Hold' },
    });
    expect(mapResoProperty({ ListingKey: 'i', StandardStatus: 'Incomplete' }, NOW)).toMatchObject({
      kind: 'upsert',
      record: { standard_status: 'Incomplete' },
    });
  });

  it('refuses records with reasons in RESO names', () => {
    expect(mapResoProperty({ StandardStatus: 'Active' }, NOW)).toMatchObject({ kind: 'invalid', reasons: ['ListingKey: is required'] });
    expect(mapResoProperty({ ListingKey: 'k', StandardStatus: 'Closed', ListPrice: 1 }, NOW)).toMatchObject({
      kind: 'invalid',
      reasons: ['ClosePrice: is required when standardStatus is Closed', 'CloseDate: is required when standardStatus is Closed'],
    });
    expect(mapResoProperty({ ListingKey: 'k', StandardStatus: 'Sold' }, NOW)).toMatchObject({ kind: 'invalid' });
    expect(mapResoProperty({ ListingKey: 'k', StandardStatus: 'Active', ListPrice: '100' }, NOW)).toMatchObject({
      kind: 'invalid',
      reasons: ['ListPrice: must be a number'],
    });
    expect(mapResoProperty('x', NOW)).toMatchObject({ kind: 'invalid', listingKey: null });
  });
});
