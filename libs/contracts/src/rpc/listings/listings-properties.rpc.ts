/**
 * NATS subjects and payloads of the listings service: properties (RESO Data Dictionary names in
 * camelCase), geo search, comparables, imports. Prices are integer cents (USD), areas square feet,
 * distances metres, coordinates WGS 84 degrees.
 */
import type { Page, PageQuery } from '../../pagination.type';
import { defineRpc } from '../rpc-contract.util';

/** The RPC contracts of properties, geo search, comparables and file import (types below). */
export const ListingsPropertySubjects = {
  create: defineRpc<PropertyCreateRequest, PropertyView>('listings.properties.create'),
  list: defineRpc<PropertyListRequest, Page<PropertyView>>('listings.properties.list'),
  get: defineRpc<{ id: string }, PropertyView>('listings.properties.get'),
  update: defineRpc<PropertyUpdateRequest, PropertyView>('listings.properties.update'),
  /** Soft delete; no content. */
  delete: defineRpc<{ id: string }, void>('listings.properties.delete'),
  radiusSearch: defineRpc<PropertyRadiusSearchRequest, Page<PropertyWithDistance>>('listings.properties.radius-search'),
  polygonSearch: defineRpc<PropertyPolygonSearchRequest, Page<PropertyView>>('listings.properties.polygon-search'),
  comparables: defineRpc<PropertyComparablesRequest, PropertyComparablesResponse>('listings.properties.comparables'),
  importChunk: defineRpc<ListingsImportChunkRequest, ListingsImportResult>('listings.properties.import-chunk'),
};

/**
 * RESO DD 2.0 `StandardStatus` values (StandardLookupValue spelling) that Keyhouse keeps: the
 * whole lookup list but `Delete` (which removes a listing). `Hold` (temporarily off the market)
 * and `Incomplete` (still being entered) are stored as the MLS sends them and are never shown to
 * clients (docs/adr/0019).
 */
export const LISTINGS_STANDARD_STATUSES = [
  'Coming Soon',
  'Active',
  'Active Under Contract',
  'Pending',
  'Closed',
  'Withdrawn',
  'Expired',
  'Canceled',
  'Hold',
  'Incomplete',
] as const;
export type ListingsStandardStatus = (typeof LISTINGS_STANDARD_STATUSES)[number];

/** RESO DD 2.0 `PropertyType` values. */
export const LISTINGS_PROPERTY_TYPES = [
  'Residential',
  'Residential Income',
  'Residential Lease',
  'Land',
  'Farm',
  'Commercial Sale',
  'Commercial Lease',
  'Business Opportunity',
  'Manufactured In Park',
] as const;
export type ListingsPropertyType = (typeof LISTINGS_PROPERTY_TYPES)[number];

/** Where a property record came from. */
export type PropertyOrigin = 'manual' | 'mls' | 'import';

/** A photo or document of a listing: RESO Media `MediaURL`, `Order`, `ShortDescription`. */
export interface PropertyMedia {
  url: string;
  order: number;
  caption: string | null;
}

/** A photo or document as a client writes it: `caption` may be left out (stored as `null`). */
export interface PropertyMediaInput {
  url: string;
  order: number;
  caption?: string | null;
}

/** The writable RESO fields of a property (all optional on update). */
export interface PropertyFields {
  listingId?: string | null;
  standardStatus?: ListingsStandardStatus;
  propertyType?: ListingsPropertyType;
  /** Cents. */
  listPrice?: number | null;
  /** Cents; required when `standardStatus` is Closed. */
  closePrice?: number | null;
  /** `YYYY-MM-DD`; required when `standardStatus` is Closed, not in the future. */
  closeDate?: string | null;
  streetNumber?: string | null;
  streetName?: string | null;
  unitNumber?: string | null;
  city?: string | null;
  stateOrProvince?: string | null;
  postalCode?: string | null;
  /** WGS 84 degrees; both or neither. */
  latitude?: number | null;
  longitude?: number | null;
  bedroomsTotal?: number | null;
  bathroomsTotalInteger?: number | null;
  /** Square feet. */
  livingArea?: number | null;
  lotSizeSquareFeet?: number | null;
  yearBuilt?: number | null;
  publicRemarks?: string | null;
  /** User id of the listing agent (RESO `ListAgentKey`). */
  listAgentId?: string | null;
  /** Replaces the listing's media, sorted by `order`. */
  media?: PropertyMediaInput[];
}

export interface PropertyCreateRequest extends PropertyFields {
  /** Unique within the organization; generated when absent. */
  listingKey?: string;
  standardStatus: ListingsStandardStatus;
  propertyType: ListingsPropertyType;
}

export interface PropertyUpdateRequest extends PropertyFields {
  id: string;
}

export interface PropertyView {
  id: string;
  orgId: string;
  listingKey: string;
  listingId: string | null;
  standardStatus: ListingsStandardStatus;
  propertyType: ListingsPropertyType;
  listPrice: number | null;
  closePrice: number | null;
  closeDate: string | null;
  streetNumber: string | null;
  streetName: string | null;
  unitNumber: string | null;
  unparsedAddress: string | null;
  city: string | null;
  stateOrProvince: string | null;
  postalCode: string | null;
  latitude: number | null;
  longitude: number | null;
  bedroomsTotal: number | null;
  bathroomsTotalInteger: number | null;
  livingArea: number | null;
  lotSizeSquareFeet: number | null;
  yearBuilt: number | null;
  publicRemarks: string | null;
  listAgentId: string | null;
  media: PropertyMedia[];
  origin: PropertyOrigin;
  /** Source attributes without a Keyhouse column (e.g. King County `grade`, `condition`, `waterfront`). */
  attributes: Record<string, unknown>;
  modificationTimestamp: string;
  createdAt: string;
}

/** Sort keys of property lists; a leading `-` sorts descending. `price` is listPrice, or closePrice once Closed. */
export const LISTINGS_PROPERTY_SORTS = [
  'modificationTimestamp',
  '-modificationTimestamp',
  'price',
  '-price',
  'createdAt',
  '-createdAt',
] as const;
export type ListingsPropertySort = (typeof LISTINGS_PROPERTY_SORTS)[number];

/** List filters, shared by the list, the radius search, the polygon search and saved searches. */
export interface PropertyFilters {
  standardStatus?: ListingsStandardStatus[];
  propertyType?: ListingsPropertyType[];
  /** Cents, inclusive, on listPrice (closePrice once Closed). */
  minPrice?: number;
  maxPrice?: number;
  minBedrooms?: number;
  maxBedrooms?: number;
  minBathrooms?: number;
  maxBathrooms?: number;
  /** Square feet, inclusive. */
  minLivingArea?: number;
  maxLivingArea?: number;
  /** Case-insensitive exact city name. */
  city?: string;
  postalCode?: string;
  listAgentId?: string;
  /** ISO 8601 instant: only properties modified at or after it. */
  modifiedSince?: string;
}

export interface PropertyListRequest extends PropertyFilters, PageQuery {
  sort?: ListingsPropertySort;
}

export interface PropertyRadiusSearchRequest extends PropertyFilters, PageQuery {
  latitude: number;
  longitude: number;
  /** Metres, 1..50 000. */
  radius: number;
}

export type PropertyWithDistance = PropertyView & { distanceMeters: number };

/** A GeoJSON (RFC 7946) Polygon or MultiPolygon in WGS 84 longitude/latitude order. */
export interface GeoJsonArea {
  type: 'Polygon' | 'MultiPolygon';
  coordinates: number[][][] | number[][][][];
}

export interface PropertyPolygonSearchRequest extends PropertyFilters, PageQuery {
  geometry: GeoJsonArea;
  sort?: ListingsPropertySort;
}

export interface PropertyComparablesRequest {
  id: string;
  /** Metres around the subject, default 1 600 (about a mile), at most 10 000. */
  radius?: number;
  /** Closed within this many months before today, default 12, at most 60. */
  months?: number;
  /** Bedrooms within ± this of the subject, default 1. */
  bedroomsTolerance?: number;
  /** Living area within ± this percentage of the subject, default 20. */
  livingAreaTolerancePercent?: number;
  /** Number of comparables, default 10, at most 50. */
  limit?: number;
}

export interface PropertyComparable {
  property: PropertyView;
  distanceMeters: number;
  /** closePrice / livingArea, cents per square foot, rounded half up to the cent. */
  pricePerSqFt: number;
}

export interface PropertyComparablesResponse {
  subjectId: string;
  criteria: { radius: number; months: number; bedroomsTolerance: number; livingAreaTolerancePercent: number; closedOnOrAfter: string };
  items: PropertyComparable[];
  summary: {
    count: number;
    /** Median closePrice per square foot of the comparables, cents (null when none). */
    medianPricePerSqFt: number | null;
    /**
     * Suggested price range for the subject, cents: its living area times the first and third
     * quartile of the comparables' price per square foot (null when none or the subject has no living area).
     */
    suggestedPriceLow: number | null;
    suggestedPriceHigh: number | null;
  };
}

/** One chunk of a CSV import (a header line followed by whole records). */
export interface ListingsImportChunkRequest {
  /** `king-county` is the only format so far (kc_house_data.csv columns). */
  format: 'king-county';
  csv: string;
  /** Number of data records before this chunk in the whole file, so reported row numbers are file-wide. */
  rowOffset: number;
  /** Listing agent given to imported records (optional, a user of the organization). */
  listAgentId?: string;
}

export interface ListingsImportRejectedRow {
  /** 1-based data row number in the file (the header is row 0). */
  row: number;
  listingKey: string | null;
  reasons: string[];
}

export interface ListingsImportResult {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** The first 1 000 rejected rows with their reasons. */
  rejectedRows: ListingsImportRejectedRow[];
  durationMs: number;
}
