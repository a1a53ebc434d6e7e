/** NATS subjects and payloads of MLS sources (RESO Web API pull) and the partner push webhook. */
import type { Page, PageQuery } from '../../pagination.type';
import { defineRpc } from '../rpc-contract.util';

/** The RPC contracts of MLS sources, their sync runs and the partner webhook (types below). */
export const ListingsMlsSubjects = {
  sourceCreate: defineRpc<MlsSourceCreateRequest, MlsSourceView>('listings.mls-sources.create'),
  sourceList: defineRpc<PageQuery, Page<MlsSourceView>>('listings.mls-sources.list'),
  /** Pulls now and answers the run record when it ends. */
  sourceSync: defineRpc<{ id: string }, MlsSyncRunView>('listings.mls-sources.sync'),
  runList: defineRpc<MlsRunListRequest, Page<MlsSyncRunView>>('listings.mls-sources.runs'),
  sourceUpdate: defineRpc<MlsSourceUpdateRequest, MlsSourceView>('listings.mls-sources.update'),
  /** No content. */
  sourceDelete: defineRpc<{ id: string }, void>('listings.mls-sources.delete'),
  webhook: defineRpc<MlsWebhookRequest, MlsWebhookResponse>('listings.mls.webhook'),
};

export interface MlsSourceCreateRequest {
  name: string;
  /**
   * RESO Web API service root, e.g. `https://api.mls.example/reso/odata` (the `Property` resource
   * is below it). https, no credentials, and a host whose every address is public; otherwise 400
   * `MLS_SOURCE_URL_NOT_ALLOWED` (checked again on every request of a pull).
   */
  baseUrl: string;
  /** Bearer token sent as `Authorization: Bearer …`; stored encrypted. */
  accessToken: string;
  /** `$top` of each page, 1..1000 (default 200). */
  pageSize?: number;
  /** Minutes between pulls (default 15). */
  intervalMinutes?: number;
}

/**
 * Changes to a source. A new `baseUrl` clears the high-water mark (the next pull starts from the
 * beginning of the new feed); a new `accessToken` is encrypted under the active key; `enabled:
 * false` stops scheduled and manual pulls (409 `MLS_SOURCE_DISABLED`).
 */
export interface MlsSourceUpdateRequest {
  id: string;
  name?: string;
  /** As in `MlsSourceCreateRequest.baseUrl` (400 `MLS_SOURCE_URL_NOT_ALLOWED`). */
  baseUrl?: string;
  accessToken?: string;
  pageSize?: number;
  intervalMinutes?: number;
  enabled?: boolean;
}

export interface MlsSourceView {
  id: string;
  name: string;
  baseUrl: string;
  pageSize: number;
  intervalMinutes: number;
  enabled: boolean;
  /** Largest `ModificationTimestamp` pulled so far. */
  highWaterMark: string | null;
  createdAt: string;
}

export interface MlsSyncRunView {
  id: string;
  sourceId: string;
  status: 'running' | 'succeeded' | 'failed';
  pages: number;
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  removed: number;
  failed: number;
  errors: Array<{ listingKey: string | null; reasons: string[] }>;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface MlsRunListRequest extends PageQuery {
  sourceId: string;
}

/** A RESO Web API payload as OData sends it: `{ "value": [ { PascalCase Property }, ... ] }`. */
export interface MlsWebhookRequest {
  value: Array<Record<string, unknown>>;
}

export interface MlsWebhookResponse {
  received: number;
  created: number;
  updated: number;
  unchanged: number;
  removed: number;
  failed: Array<{ index: number; listingKey: string | null; reasons: string[] }>;
}
