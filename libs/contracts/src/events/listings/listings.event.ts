import { defineEvent } from '../event-definition.util';
/**
 * Domain events of the listings service, on topic `listings.events`, keyed by the property id
 * (saved-search matches by the saved search id). All version 1. Prices in cents.
 */
import type { ListingsStandardStatus, PropertyOrigin } from '../../rpc/listings/listings-properties.rpc';
import type { ListingsContactListingPreference } from '../../rpc/listings/listings-engagement.rpc';

export const LISTINGS_EVENTS_TOPIC = 'listings.events';

export const ListingsEvent = {
  propertyCreated: defineEvent<PropertyCreatedData>('listings.property.created'),
  propertyUpdated: defineEvent<PropertyUpdatedData>('listings.property.updated'),
  propertyStatusChanged: defineEvent<PropertyStatusChangedData>('listings.property.status_changed'),
  propertyDeleted: defineEvent<PropertyDeletedData>('listings.property.deleted'),
  propertyViewed: defineEvent<PropertyViewedData>('listings.property.viewed'),
  contactListingChanged: defineEvent<ContactListingChangedData>('listings.contact_listing.changed'),
  searchMatched: defineEvent<SearchMatchedData>('listings.search.matched'),
  propertyShared: defineEvent<PropertySharedData>('listings.property.shared'),
  propertyUnshared: defineEvent<PropertySharedData>('listings.property.unshared'),
  savedSearchCreated: defineEvent<SavedSearchChangedData>('listings.saved_search.created'),
  savedSearchDeleted: defineEvent<SavedSearchChangedData>('listings.saved_search.deleted'),
  mlsSourceCreated: defineEvent<MlsSourceChangedData>('listings.mls_source.created'),
  mlsSourceUpdated: defineEvent<MlsSourceChangedData>('listings.mls_source.updated'),
  mlsSourceDeleted: defineEvent<MlsSourceChangedData>('listings.mls_source.deleted'),
  mlsSyncCompleted: defineEvent<MlsSyncCompletedData>('listings.mls_sync.completed'),
};

/** The facts about a property that consumers (crm matching, deals, analytics) need. */
export interface PropertySnapshot {
  propertyId: string;
  listingKey: string;
  standardStatus: ListingsStandardStatus;
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
  origin: PropertyOrigin;
}

export type PropertyCreatedData = PropertySnapshot;

export interface PropertyUpdatedData {
  propertyId: string;
  listingKey: string;
  /** camelCase field → { from, to }. */
  changes: Record<string, { from: unknown; to: unknown }>;
  origin: PropertyOrigin;
}

export interface PropertyStatusChangedData {
  propertyId: string;
  listingKey: string;
  from: ListingsStandardStatus;
  to: ListingsStandardStatus;
  closePrice: number | null;
  closeDate: string | null;
  listAgentId: string | null;
}

export interface PropertyDeletedData {
  propertyId: string;
  listingKey: string;
}

export interface PropertyViewedData {
  viewId: string;
  propertyId: string;
  contactId: string;
  /** Where the contact saw it. */
  source: 'website' | 'portal' | 'agent';
  /** RFC 3339, UTC. */
  viewedAt: string;
}

export interface ContactListingChangedData {
  contactId: string;
  propertyId: string;
  preference: ListingsContactListingPreference;
  note: string | null;
}

export interface SearchMatchedData {
  savedSearchId: string;
  contactId: string;
  propertyId: string;
  listingKey: string;
}

/** `listings.property.shared` / `listings.property.unshared` (keyed by the property id). */
export interface PropertySharedData {
  propertyId: string;
  contactId: string;
  /** User who shared or unshared it. */
  by: string | null;
}

/** `listings.saved_search.created` / `.deleted` (keyed by the saved search id). */
export interface SavedSearchChangedData {
  savedSearchId: string;
  contactId: string;
  name: string;
}

/**
 * `listings.mls_source.created` / `.updated` / `.deleted` (keyed by the source id). `changes`
 * names the changed fields (`accessToken` when the token was replaced, never its value).
 */
export interface MlsSourceChangedData {
  sourceId: string;
  name: string;
  enabled: boolean;
  changes?: string[];
}

export interface MlsSyncCompletedData {
  sourceId: string;
  runId: string;
  /** `failed` when the pull stopped on an error (counts are what was done before it). */
  status: 'succeeded' | 'failed';
  fetched: number;
  created: number;
  updated: number;
  removed: number;
  failed: number;
}
