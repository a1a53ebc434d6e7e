import type { ListingsNearbyPlace, ListingsPlaceCategory } from '@keyhouse/contracts';

/** Injection token of the nearby-places provider. */
export const NEARBY_PLACES_PROVIDER = Symbol('NEARBY_PLACES_PROVIDER');

/**
 * Where nearby schools, hospitals, shops … come from. The local adapter answers from places the
 * organization loaded (`POST /v1/places`); a Google Places adapter can implement the same port.
 */
export interface NearbyPlacesProvider {
  readonly name: string;
  nearby(query: {
    orgId: string;
    latitude: number;
    longitude: number;
    /** Metres. */
    radius: number;
    categories: ListingsPlaceCategory[] | null;
    limit: number;
  }): Promise<ListingsNearbyPlace[]>;
}
