/** NATS contracts and payloads for transactions (deals) and pipelines of the deals-commission service. */
import type { Page, PageQuery } from '../../pagination.type';
import { defineRpc } from '../rpc-contract.util';

/** A request without data (`{}`). */
export type DealsEmptyRequest = Record<string, never>;

/** Transactions, their timeline, pipelines and offers (a delete answers no content). */
export const DealsTransactionSubjects = {
  create: defineRpc<TransactionCreateRequest, TransactionView>('deals.transactions.create'),
  list: defineRpc<TransactionListRequest, Page<TransactionView>>('deals.transactions.list'),
  /** One agent's deals (`GET /v1/agents/:agentId/transactions`): 404 `AGENT_NOT_FOUND` for an agent out of the caller's reach. */
  listForAgent: defineRpc<AgentTransactionListRequest, Page<TransactionView>>('deals.transactions.list-for-agent'),
  get: defineRpc<{ id: string }, TransactionView>('deals.transactions.get'),
  update: defineRpc<TransactionUpdateRequest, TransactionView>('deals.transactions.update'),
  delete: defineRpc<{ id: string }, void>('deals.transactions.delete'),
  timeline: defineRpc<TransactionTimelineRequest, Page<TransactionTimelineEntry>>('deals.transactions.timeline'),
  pipelineList: defineRpc<DealsEmptyRequest, { items: TransactionPipelineView[] }>('deals.pipelines.list'),
  pipelineCreate: defineRpc<TransactionPipelineCreateRequest, TransactionPipelineView>('deals.pipelines.create'),
  offerCreate: defineRpc<TransactionOfferCreateRequest, TransactionOfferView>('deals.offers.create'),
  offerList: defineRpc<TransactionOfferListRequest, Page<TransactionOfferView>>('deals.offers.list'),
  offerUpdate: defineRpc<TransactionOfferUpdateRequest, TransactionOfferView>('deals.offers.update'),
  offerAccept: defineRpc<{ id: string }, TransactionOfferView>('deals.offers.accept'),
};

/** Side the brokerage represents: the buyer, the seller (listing side), or both. */
export const TRANSACTION_SIDES = ['buy', 'list', 'dual'] as const;
export type TransactionSide = (typeof TRANSACTION_SIDES)[number];

export const TRANSACTION_PARTICIPANT_ROLES = [
  'attorney',
  'buyers_agent',
  'sellers_agent',
  'inspector',
  'lender',
  'escrow_title',
  'appraiser',
  'other',
] as const;
export type TransactionParticipantRole = (typeof TRANSACTION_PARTICIPANT_ROLES)[number];

/** Key dates of a transaction (ISO dates `YYYY-MM-DD`). */
export const TRANSACTION_KEY_DATES = [
  'depositDue',
  'inspection',
  'appraisal',
  'financingContingency',
  'finalWalkThrough',
  'closing',
] as const;
export type TransactionKeyDate = (typeof TRANSACTION_KEY_DATES)[number];
export type TransactionKeyDates = Partial<Record<TransactionKeyDate, string | null>>;

/** Someone on the deal: a linked contact or user, or a name/company/email/phone. */
export interface TransactionParticipant {
  side: 'buy' | 'list' | 'both';
  role: TransactionParticipantRole;
  contactId?: string | null;
  userId?: string | null;
  name?: string | null;
  company?: string | null;
  email?: string | null;
  phone?: string | null;
}

/** A member of the team on the deal and their share of the agent amount (basis points, summing to 10 000). */
export interface TransactionTeamShare {
  agentId: string;
  shareBps: number;
}

/** A pipeline stage: `outcome` `open`, `won` (closed) or `lost`; probability in percent (0..100). */
export interface TransactionPipelineStage {
  key: string;
  name: string;
  probability: number;
  outcome: 'open' | 'won' | 'lost';
}

export interface TransactionPipelineView {
  id: string;
  name: string;
  isDefault: boolean;
  stages: TransactionPipelineStage[];
  createdAt: string;
}

export interface TransactionPipelineCreateRequest {
  name: string;
  stages: TransactionPipelineStage[];
  isDefault?: boolean;
}

export interface TransactionStageChange {
  from: string | null;
  to: string;
  at: string;
  by: string | null;
}

/** Transaction JSON (issue 5, Contract). Money in cents. */
export interface TransactionView {
  id: string;
  orgId: string;
  propertyId: string | null;
  buyerContactIds: string[];
  sellerContactIds: string[];
  agentId: string;
  team: TransactionTeamShare[];
  side: TransactionSide;
  /** List or offer price in cents. */
  price: number;
  pipelineId: string;
  stage: string;
  /** `open`, `won` or `lost`, from the stage. */
  status: 'open' | 'won' | 'lost';
  probability: number;
  expectedCloseDate: string | null;
  closeDate: string | null;
  closePrice: number | null;
  commissionPlanId: string | null;
  participants: TransactionParticipant[];
  keyDates: TransactionKeyDates;
  notes: string | null;
  stageHistory: TransactionStageChange[];
  createdAt: string;
  updatedAt: string;
}

export interface TransactionCreateRequest {
  propertyId?: string | null;
  buyerContactIds?: string[];
  sellerContactIds?: string[];
  /** Defaults to the caller. */
  agentId?: string;
  team?: TransactionTeamShare[];
  side: TransactionSide;
  price: number;
  pipelineId?: string;
  stage?: string;
  expectedCloseDate?: string | null;
  probability?: number;
  commissionPlanId?: string | null;
  participants?: TransactionParticipant[];
  keyDates?: TransactionKeyDates;
  notes?: string | null;
  /** Required when `stage` is a won stage. */
  closePrice?: number;
  closeDate?: string;
}

export type TransactionUpdateRequest = Partial<Omit<TransactionCreateRequest, 'pipelineId'>> & { id: string; pipelineId?: string };

export interface TransactionListRequest extends PageQuery {
  agentId?: string;
  stage?: string;
  pipelineId?: string;
  side?: TransactionSide;
  status?: 'open' | 'won' | 'lost';
  expectedCloseFrom?: string;
  expectedCloseTo?: string;
  priceMin?: number;
  priceMax?: number;
}

/**
 * The deals of agent `agentId` within the caller's reach, newest first, with the filters of
 * {@link TransactionListRequest}. Unlike the `agentId` filter of the list, an agent the caller
 * cannot see (identity's `users:read` scope: another organization, no such user, outside the
 * caller's teams) is a 404, not an empty page.
 */
export type AgentTransactionListRequest = Omit<TransactionListRequest, 'agentId'> & { agentId: string };

/** A page of a transaction's timeline, oldest first. */
export interface TransactionTimelineRequest extends PageQuery {
  id: string;
}

/** One entry of a transaction's timeline (creation, changes, stage moves, statements). */
export interface TransactionTimelineEntry {
  id: string;
  kind:
    | 'created'
    | 'updated'
    | 'stage_changed'
    | 'commission_computed'
    | 'deleted'
    | 'offer_submitted'
    | 'offer_countered'
    | 'offer_rejected'
    | 'offer_withdrawn'
    | 'key_dates_computed'
    | 'key_date_done'
    | 'key_date_reopened'
    | 'file_uploaded'
    | 'file_deleted'
    | 'file_shared'
    | 'file_unshared';
  at: string;
  actorId: string | null;
  data: Record<string, unknown>;
}

export const OFFER_STATUSES = ['submitted', 'countered', 'accepted', 'rejected', 'withdrawn'] as const;
export type TransactionOfferStatus = (typeof OFFER_STATUSES)[number];
export const OFFER_FINANCING_TYPES = ['cash', 'conventional', 'fha', 'va', 'usda', 'other'] as const;
export type TransactionOfferFinancing = (typeof OFFER_FINANCING_TYPES)[number];

/** An offer on a listing, made through a transaction (the buyer's deal or the listing deal). Money in cents. */
export interface TransactionOfferView {
  id: string;
  propertyId: string;
  transactionId: string;
  buyerContactId: string | null;
  buyerName: string | null;
  amount: number;
  earnestMoney: number;
  financingType: TransactionOfferFinancing;
  contingencies: string[];
  expiresAt: string | null;
  status: TransactionOfferStatus;
  acceptedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface TransactionOfferCreateRequest {
  transactionId: string;
  buyerContactId?: string | null;
  buyerName?: string | null;
  amount: number;
  earnestMoney?: number;
  financingType: TransactionOfferFinancing;
  contingencies?: string[];
  expiresAt?: string | null;
}

/** Counter (new amount/terms, status `countered`), reject or withdraw an open offer. */
export interface TransactionOfferUpdateRequest {
  id: string;
  status?: 'countered' | 'rejected' | 'withdrawn';
  amount?: number;
  earnestMoney?: number;
  contingencies?: string[];
  expiresAt?: string | null;
}

export interface TransactionOfferListRequest extends PageQuery {
  propertyId?: string;
  transactionId?: string;
  status?: TransactionOfferStatus;
}
