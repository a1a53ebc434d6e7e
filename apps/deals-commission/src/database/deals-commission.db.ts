/**
 * Row shapes of the deals-commission service's schema `deals`, generated from its migrations
 * by `node deploy/db-types.js` (kysely-codegen; docs/adr/0027). Do not edit: change a migration (or
 * deals-commission.db-overrides.json) and run the command again; `npm test` fails when this file is stale.
 */
import type { PlatformDb } from '@keyhouse/platform/messaging';
import type {
  CommissionStatementDetail,
  DealDeadlineRules,
  KeyDateOrigin,
  TransactionActivityData,
  TransactionActivityKind,
  TransactionFileStatus,
  TransactionStatus,
} from './deals-commission-json.type';
import type {
  CommissionPlanTier,
  InvoiceBillTo,
  InvoicePaymentMethod,
  InvoiceStatus,
  TransactionKeyDate,
  TransactionKeyDates,
  TransactionOfferFinancing,
  TransactionOfferStatus,
  TransactionParticipant,
  TransactionPipelineStage,
  TransactionSide,
  TransactionTeamShare,
} from '@keyhouse/contracts';
import type { ArrayType, Generated, Int8, JsonColumn, Timestamp } from '@keyhouse/platform/database';

export interface AgentCommissionPlan {
  agent_id: string;
  org_id: string;
  plan_id: string;
  updated_at: Generated<Timestamp>;
}

export interface ClientContact {
  contact_id: string;
  created_at: Generated<Timestamp>;
  org_id: string;
  user_id: string;
}

export interface CommissionPlan {
  agent_split_bps: number;
  annual_cap_cents: Int8 | null;
  created_at: Generated<Timestamp>;
  flat_fee_cents: Int8 | null;
  gross_rate_bps: number | null;
  id: string;
  name: string;
  org_id: string;
  referral_fee_bps: Generated<number>;
  tiers: Generated<JsonColumn<CommissionPlanTier[]>>;
  transaction_fee_cents: Generated<Int8>;
  updated_at: Generated<Timestamp>;
}

export interface CommissionStatement {
  agent_cents: Int8;
  agent_id: string;
  brokerage_cents: Int8;
  close_date: Timestamp;
  created_at: Generated<Timestamp>;
  detail: JsonColumn<CommissionStatementDetail>;
  fees_cents: Int8;
  gross_cents: Int8;
  id: string;
  is_current: Generated<boolean>;
  org_id: string;
  plan_id: string;
  price_cents: Int8;
  referral_fee_cents: Int8;
  team_ids: Generated<string[]>;
  transaction_id: string;
  version: number;
}

export interface DealSettings {
  deadlines: Generated<JsonColumn<DealDeadlineRules>>;
  holidays: Generated<ArrayType<Timestamp>>;
  next_invoice_number: Generated<number>;
  org_id: string;
  reminder_offsets_minutes: Generated<number[]>;
  roll_to_business_day: Generated<boolean>;
  time_zone: Generated<string>;
  updated_at: Timestamp | null;
}

export interface DealTransaction {
  agent_id: string;
  agent_ids: string[];
  buyer_contact_ids: Generated<string[]>;
  close_date: Timestamp | null;
  close_price_cents: Int8 | null;
  commission_plan_id: string | null;
  created_at: Generated<Timestamp>;
  created_by: string | null;
  deleted_at: Timestamp | null;
  expected_close_date: Timestamp | null;
  id: string;
  key_dates: Generated<JsonColumn<TransactionKeyDates>>;
  notes: string | null;
  org_id: string;
  participants: Generated<JsonColumn<TransactionParticipant[]>>;
  pipeline_id: string;
  price_cents: Int8;
  probability: number;
  property_id: string | null;
  seller_contact_ids: Generated<string[]>;
  side: TransactionSide;
  stage: string;
  status: TransactionStatus;
  team: Generated<JsonColumn<TransactionTeamShare[]>>;
  team_ids: Generated<string[]>;
  updated_at: Generated<Timestamp>;
}

export interface ErasedContact {
  contact_id: string;
  erased_at: Generated<Timestamp>;
  erasure_event_id: string;
  org_id: string;
}

export interface Invoice {
  agent_id: string | null;
  agent_ids: Generated<string[]>;
  bill_to: JsonColumn<InvoiceBillTo>;
  created_at: Generated<Timestamp>;
  created_by: string | null;
  due_date: Timestamp;
  id: string;
  issue_date: Timestamp;
  notes: string | null;
  number: string;
  org_id: string;
  overdue_at: Timestamp | null;
  paid_at: Timestamp | null;
  paid_cents: Generated<Int8>;
  sent_at: Timestamp | null;
  status: InvoiceStatus;
  team_ids: Generated<string[]>;
  total_cents: Generated<Int8>;
  transaction_id: string | null;
  updated_at: Generated<Timestamp>;
  voided_at: Timestamp | null;
}

export interface InvoiceLine {
  amount_cents: Int8;
  description: string;
  invoice_id: string;
  position: number;
  quantity: number;
  unit_amount_cents: Int8;
}

export interface InvoicePayment {
  amount_cents: Int8;
  created_at: Generated<Timestamp>;
  id: string;
  invoice_id: string;
  method: InvoicePaymentMethod;
  org_id: string;
  paid_on: Timestamp;
  recorded_by: string | null;
  reference: string | null;
}

export interface KeyDate {
  done_at: Timestamp | null;
  due_on: Timestamp;
  key: TransactionKeyDate;
  missed_at: Timestamp | null;
  org_id: string;
  origin: Generated<KeyDateOrigin>;
  transaction_id: string;
  updated_at: Generated<Timestamp>;
}

export interface KeyDateReminder {
  due_on: Timestamp;
  id: string;
  key: TransactionKeyDate;
  offset_minutes: number;
  org_id: string;
  remind_at: Timestamp;
  sent_at: Timestamp | null;
  transaction_id: string;
}

export interface Offer {
  accepted_at: Timestamp | null;
  amount_cents: Int8;
  buyer_contact_id: string | null;
  buyer_name: string | null;
  contingencies: Generated<string[]>;
  created_at: Generated<Timestamp>;
  created_by: string | null;
  earnest_money_cents: Generated<Int8>;
  expires_at: Timestamp | null;
  financing_type: TransactionOfferFinancing;
  id: string;
  org_id: string;
  property_id: string;
  status: TransactionOfferStatus;
  transaction_id: string;
  updated_at: Generated<Timestamp>;
}

export interface Pipeline {
  created_at: Generated<Timestamp>;
  id: string;
  is_default: Generated<boolean>;
  name: string;
  org_id: string;
  stages: JsonColumn<TransactionPipelineStage[]>;
}

export interface TransactionActivity {
  actor_id: string | null;
  created_at: Generated<Timestamp>;
  data: Generated<JsonColumn<TransactionActivityData>>;
  id: string;
  kind: TransactionActivityKind;
  org_id: string;
  transaction_id: string;
}

export interface TransactionFile {
  content_type: string;
  created_at: Generated<Timestamp>;
  deleted_at: Timestamp | null;
  id: string;
  name: string;
  org_id: string;
  sha256: string;
  shared_at: Timestamp | null;
  shared_by: string | null;
  size_bytes: Int8;
  status: TransactionFileStatus;
  storage_key: string;
  transaction_id: string;
  uploaded_by: string | null;
}

export interface DealsCommissionDb extends PlatformDb {
  agent_commission_plan: AgentCommissionPlan;
  client_contact: ClientContact;
  commission_plan: CommissionPlan;
  commission_statement: CommissionStatement;
  deal_settings: DealSettings;
  deal_transaction: DealTransaction;
  erased_contact: ErasedContact;
  invoice: Invoice;
  invoice_line: InvoiceLine;
  invoice_payment: InvoicePayment;
  key_date: KeyDate;
  key_date_reminder: KeyDateReminder;
  offer: Offer;
  pipeline: Pipeline;
  transaction_activity: TransactionActivity;
  transaction_file: TransactionFile;
}
