/** NATS subjects and payloads of property views, contact interest (RESO ContactListings) and saved searches. */
import type { Page, PageQuery } from '../../pagination.type';
import { defineRpc } from '../rpc-contract.util';
import type { GeoJsonArea, PropertyFilters } from './listings-properties.rpc';

/** The RPC contracts of views, interest, saved searches and shares (types below). */
export const ListingsEngagementSubjects = {
  recordView: defineRpc<PropertyViewRecordRequest, PropertyViewRecorded>('listings.views.record'),
  interestPut: defineRpc<ContactListingPutRequest, ContactListingView>('listings.interests.put'),
  interestList: defineRpc<ContactListingListRequest, Page<ContactListingView>>('listings.interests.list'),
  savedSearchCreate: defineRpc<SavedSearchCreateRequest, SavedSearchView>('listings.saved-searches.create'),
  savedSearchList: defineRpc<SavedSearchListRequest, Page<SavedSearchView>>('listings.saved-searches.list'),
  /** Soft delete; no content. */
  savedSearchDelete: defineRpc<{ id: string }, void>('listings.saved-searches.delete'),
  shareCreate: defineRpc<ListingsShareRequest, ListingsShareView>('listings.shares.create'),
  /** No content. */
  shareDelete: defineRpc<ListingsShareRequest, void>('listings.shares.delete'),
};

/**
 * An agent shares a listing with a contact (`POST /v1/properties/:id/shares`): the contact's
 * client user then sees it in the portal while it is on the market (docs/adr/0019).
 */
export interface ListingsShareRequest {
  propertyId: string;
  contactId: string;
}

export interface ListingsShareView {
  propertyId: string;
  contactId: string;
  /** User who shared it. */
  sharedBy: string | null;
  sharedAt: string;
}

export interface PropertyViewRecordRequest {
  propertyId: string;
  /** CRM contact who viewed the listing. */
  contactId: string;
  /** Where the view happened. */
  source: 'website' | 'portal' | 'agent';
}

export interface PropertyViewRecorded {
  id: string;
  propertyId: string;
  contactId: string;
  source: string;
  viewedAt: string;
}

/** RESO `ContactListingPreference`. */
export type ListingsContactListingPreference = 'Favorite' | 'Possibility' | 'Discard';

export interface ContactListingPutRequest {
  propertyId: string;
  contactId: string;
  preference: ListingsContactListingPreference;
  note?: string | null;
}

export interface ContactListingView {
  contactId: string;
  propertyId: string;
  preference: ListingsContactListingPreference;
  note: string | null;
  updatedAt: string;
}

export interface ContactListingListRequest extends PageQuery {
  contactId?: string;
  propertyId?: string;
}

export interface SavedSearchCreateRequest {
  contactId: string;
  name: string;
  filters: PropertyFilters;
  geometry?: GeoJsonArea | null;
}

export interface SavedSearchView {
  id: string;
  contactId: string;
  name: string;
  filters: PropertyFilters;
  geometry: GeoJsonArea | null;
  createdBy: string | null;
  createdAt: string;
}

export interface SavedSearchListRequest extends PageQuery {
  contactId?: string;
}

/** Nearby places (schools, hospitals, shops, …) behind a provider port; the local adapter answers from places the organization loaded. */
export const ListingsPlacesSubjects = {
  load: defineRpc<ListingsPlacesLoadRequest, ListingsPlacesLoadResponse>('listings.places.load'),
  nearby: defineRpc<ListingsNearbyRequest, ListingsNearbyResponse>('listings.places.nearby'),
};

export const LISTINGS_PLACE_CATEGORIES = ['school', 'hospital', 'shop', 'park', 'transit', 'restaurant', 'other'] as const;
export type ListingsPlaceCategory = (typeof LISTINGS_PLACE_CATEGORIES)[number];

export interface ListingsPlaceInput {
  name: string;
  category: ListingsPlaceCategory;
  latitude: number;
  longitude: number;
}

export interface ListingsPlacesLoadRequest {
  /** At most 1 000 per request; a place with the same category and name (case-insensitive) is moved, not duplicated. */
  places: ListingsPlaceInput[];
}

export interface ListingsPlacesLoadResponse {
  received: number;
  created: number;
  updated: number;
}

export interface ListingsNearbyRequest {
  propertyId: string;
  /** Metres, default 1 500, at most 10 000. */
  radius?: number;
  category?: ListingsPlaceCategory[];
  /** Default 20, at most 100. */
  limit?: number;
}

export interface ListingsNearbyResponse {
  /** Nearest first. */
  items: ListingsNearbyPlace[];
}

export interface ListingsNearbyPlace {
  id: string;
  name: string;
  category: ListingsPlaceCategory;
  latitude: number;
  longitude: number;
  distanceMeters: number;
  /** Which adapter answered (`local` today). */
  provider: string;
}
