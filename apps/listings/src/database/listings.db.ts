/**
 * Row shapes of the listings service's schema `listings`, generated from its migrations
 * by `node deploy/db-types.js` (kysely-codegen; docs/adr/0027). Do not edit: change a migration (or
 * listings.db-overrides.json) and run the command again; `npm test` fails when this file is stale.
 */
import type { PlatformDb } from '@keyhouse/platform/messaging';
import type { MlsSyncRunErrors, MlsSyncRunStatus, PropertyAttributes } from './listings-json.type';
import type { GeoJsonArea, ListingsContactListingPreference, PropertyFilters, PropertyMedia, PropertyOrigin } from '@keyhouse/contracts';
import type { Generated, Int8, JsonColumn, Timestamp } from '@keyhouse/platform/database';

export interface ClientContact {
  contact_id: string;
  created_at: Generated<Timestamp>;
  org_id: string;
  user_id: string;
}

export interface ContactListing {
  contact_id: string;
  note: string | null;
  org_id: string;
  preference: ListingsContactListingPreference;
  property_id: string;
  updated_at: Generated<Timestamp>;
}

export interface MlsSource {
  base_url: string;
  created_at: Generated<Timestamp>;
  created_by: string | null;
  credentials_ciphertext: string;
  enabled: Generated<boolean>;
  high_water_mark: Timestamp | null;
  id: string;
  interval_minutes: Generated<number>;
  name: string;
  org_id: string;
  page_size: Generated<number>;
  updated_at: Generated<Timestamp>;
}

export interface MlsSyncRun {
  created: Generated<number>;
  duration_ms: number | null;
  errors: Generated<JsonColumn<MlsSyncRunErrors>>;
  failed: Generated<number>;
  fetched: Generated<number>;
  finished_at: Timestamp | null;
  id: string;
  org_id: string;
  pages: Generated<number>;
  removed: Generated<number>;
  source_id: string;
  started_at: Generated<Timestamp>;
  status: MlsSyncRunStatus;
  unchanged: Generated<number>;
  updated: Generated<number>;
}

export interface Place {
  category: string;
  created_at: Generated<Timestamp>;
  id: string;
  location: string;
  name: string;
  org_id: string;
  updated_at: Generated<Timestamp>;
}

export interface Property {
  attributes: Generated<JsonColumn<PropertyAttributes>>;
  bathrooms_total_integer: number | null;
  bedrooms_total: number | null;
  city: string | null;
  close_date: Timestamp | null;
  close_price: Int8 | null;
  created_at: Generated<Timestamp>;
  current_price: Generated<Int8 | null>;
  deleted_at: Timestamp | null;
  id: string;
  list_agent_id: string | null;
  list_price: Int8 | null;
  listing_id: string | null;
  listing_key: string;
  living_area: number | null;
  location: string | null;
  lot_size_square_feet: number | null;
  media: Generated<JsonColumn<PropertyMedia[]>>;
  mls_source_id: string | null;
  modification_timestamp: Generated<Timestamp>;
  org_id: string;
  origin: PropertyOrigin;
  postal_code: string | null;
  property_type: string;
  public_remarks: string | null;
  standard_status: string;
  state_or_province: string | null;
  street_name: string | null;
  street_number: string | null;
  unit_number: string | null;
  year_built: number | null;
}

export interface PropertyShare {
  contact_id: string;
  org_id: string;
  property_id: string;
  shared_at: Generated<Timestamp>;
  shared_by: string | null;
}

export interface PropertyView {
  contact_id: string;
  id: string;
  org_id: string;
  property_id: string;
  source: string;
  viewed_at: Generated<Timestamp>;
}

export interface SavedSearch {
  area: string | null;
  contact_id: string;
  created_at: Generated<Timestamp>;
  created_by: string | null;
  deleted_at: Timestamp | null;
  filters: Generated<JsonColumn<PropertyFilters>>;
  geometry: JsonColumn<GeoJsonArea> | null;
  id: string;
  name: string;
  org_id: string;
}

export interface SavedSearchMatch {
  contact_id: string;
  matched_at: Generated<Timestamp>;
  org_id: string;
  property_id: string;
  saved_search_id: string;
}

export interface ListingsDb extends PlatformDb {
  client_contact: ClientContact;
  contact_listing: ContactListing;
  mls_source: MlsSource;
  mls_sync_run: MlsSyncRun;
  place: Place;
  property: Property;
  property_share: PropertyShare;
  property_view: PropertyView;
  saved_search: SavedSearch;
  saved_search_match: SavedSearchMatch;
}
