/** NATS contracts and payloads for commission plans, statements and reports. */
import type { Page, PageQuery } from '../../pagination.type';
import { defineRpc } from '../rpc-contract.util';

/** Commission plans, agents' plans, statements, what-if and the commission report (JSON, or a CSV / PDF file). */
export const DealsCommissionSubjects = {
  planCreate: defineRpc<CommissionPlanBody, CommissionPlanView>('deals.commission-plans.create'),
  planList: defineRpc<CommissionPlanListRequest, Page<CommissionPlanView>>('deals.commission-plans.list'),
  planGet: defineRpc<{ id: string }, CommissionPlanView>('deals.commission-plans.get'),
  planUpdate: defineRpc<CommissionPlanUpdateRequest, CommissionPlanView>('deals.commission-plans.update'),
  agentPlanSet: defineRpc<{ agentId: string; planId: string }, AgentCommissionPlanView>('deals.agent-commission-plans.set'),
  agentPlanGet: defineRpc<{ agentId: string }, AgentCommissionPlanView>('deals.agent-commission-plans.get'),
  statementGet: defineRpc<{ id: string; version?: number }, CommissionStatementView>('deals.commission-statements.get'),
  whatIf: defineRpc<CommissionWhatIfRequest, CommissionWhatIfView>('deals.commission-statements.what-if'),
  report: defineRpc<CommissionReportRequest, CommissionReportView | CommissionReportFile>('deals.commission-reports.get'),
};

export interface CommissionPlanTier {
  thresholdCents: number;
  agentSplitBps: number;
}

/** Plan body (issue 5, Contract). Exactly one of `grossRateBps` and `flatFeeCents`. */
export interface CommissionPlanBody {
  name: string;
  grossRateBps?: number | null;
  flatFeeCents?: number | null;
  agentSplitBps: number;
  transactionFeeCents?: number;
  tiers?: CommissionPlanTier[];
  annualCapCents?: number | null;
  referralFeeBps?: number;
}

export interface CommissionPlanView {
  id: string;
  name: string;
  grossRateBps: number | null;
  flatFeeCents: number | null;
  agentSplitBps: number;
  transactionFeeCents: number;
  tiers: CommissionPlanTier[];
  annualCapCents: number | null;
  referralFeeBps: number;
  createdAt: string;
  updatedAt: string;
}

export type CommissionPlanUpdateRequest = Partial<CommissionPlanBody> & { id: string };
export type CommissionPlanListRequest = PageQuery;

export interface AgentCommissionPlanView {
  agentId: string;
  planId: string;
  updatedAt: string;
}

/** Commission statement JSON (cents): `gross = referralFee + brokerage + agent + fees`. */
export interface CommissionStatementView {
  id: string;
  transactionId: string;
  version: number;
  agentId: string;
  planId: string;
  closeDate: string;
  price: number;
  gross: number;
  referralFee: number;
  brokerage: number;
  agent: number;
  fees: number;
  agentShares: Array<{ agentId: string; shareBps: number; amount: number }>;
  segments: Array<{ fromCents: number; toCents: number; agentSplitBps: number }>;
  gciYtdBefore: number;
  gciYtdAfter: number;
  cap: { capCents: number | null; brokerageYtdBefore: number; brokerageYtdAfter: number; remainingCents: number | null; reached: boolean };
  createdAt: string;
}

/** Hypothetical statement: `planId` or an inline `plan`; YTD figures default to the agent's current ones. */
export interface CommissionWhatIfRequest {
  price: number;
  agentId?: string;
  planId?: string;
  plan?: Omit<CommissionPlanBody, 'name'>;
  closeDate?: string;
  team?: Array<{ agentId: string; shareBps: number }>;
}

export type CommissionWhatIfView = Omit<CommissionStatementView, 'id' | 'transactionId' | 'version' | 'createdAt' | 'planId'> & {
  planId: string | null;
};

export type CommissionReportFormat = 'json' | 'csv' | 'pdf';

export interface CommissionReportRequest {
  agentId?: string;
  teamId?: string;
  /** `YYYY-MM`; or `from`/`to` (ISO dates, inclusive). */
  month?: string;
  from?: string;
  to?: string;
  format?: CommissionReportFormat;
}

export interface CommissionReportRow {
  agentId: string;
  agentName: string | null;
  count: number;
  volume: number;
  gci: number;
  referralFees: number;
  agentShare: number;
  brokerageShare: number;
  fees: number;
}

export interface CommissionReportView {
  from: string;
  to: string;
  rows: CommissionReportRow[];
  totals: Omit<CommissionReportRow, 'agentId' | 'agentName'>;
}

/** A report rendered as a file: bytes in base64 (bounded below the 1 MiB NATS limit). */
export interface CommissionReportFile {
  contentType: string;
  filename: string;
  base64: string;
}
