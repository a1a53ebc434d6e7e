import type { PropertyView } from '@keyhouse/contracts';

/**
 * One line of a listing's address: the street line (`unparsedAddress`, else number, street and
 * unit), city, state and postal code, e.g. `5230 17th Ave NE, Seattle, WA 98105`; null when empty.
 */
export function addressOf(
  property: Pick<
    PropertyView,
    'unparsedAddress' | 'streetNumber' | 'streetName' | 'unitNumber' | 'city' | 'stateOrProvince' | 'postalCode'
  >,
): string | null {
  const street =
    property.unparsedAddress ||
    [property.streetNumber, property.streetName, property.unitNumber ? `#${property.unitNumber}` : null].filter(Boolean).join(' ');
  const region = [property.stateOrProvince, property.postalCode].filter(Boolean).join(' ');
  return [street, property.city, region].filter(Boolean).join(', ') || null;
}
