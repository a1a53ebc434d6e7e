/**
 * Shapes the Postgres catalogue cannot tell kysely-codegen, declared once for `deals-commission.db.ts`
 * (`deals-commission.db-overrides.json`, docs/adr/0027) and for the code that builds the values.
 * jsonb columns are written as JSON text (`JsonColumn<T>`); text columns listed here hold only the
 * values of their union (a CHECK constraint, or values the service alone writes from a validated
 * request). The other overridden columns use the contracts' types directly.
 */
import type {
  CommissionStatementView,
  DealDeadlineRule,
  TransactionKeyDate,
  TransactionKeyDateView,
  TransactionTimelineEntry,
  TransactionView,
} from '@keyhouse/contracts';

/** `deal_transaction.status`, as its CHECK constraint allows: the outcome of the deal's stage. */
export type TransactionStatus = TransactionView['status'];

/** `transaction_activity.kind`: the timeline entry kinds the service records (`recordActivity`). */
export type TransactionActivityKind = TransactionTimelineEntry['kind'];

/** `transaction_activity.data`: what the entry records (stage move, changes, ids), an object. */
export type TransactionActivityData = Record<string, unknown>;

/** `commission_statement.detail`: the statement's breakdown beyond its amount columns (cents, basis points). */
export type CommissionStatementDetail = Pick<CommissionStatementView, 'agentShares' | 'segments' | 'gciYtdBefore' | 'gciYtdAfter' | 'cap'>;

/** `deal_settings.deadlines`: the organization's deadline rules per key date (missing keys: the defaults). */
export type DealDeadlineRules = Partial<Record<TransactionKeyDate, DealDeadlineRule>>;

/** `key_date.origin`, as its CHECK constraint allows: set from an accepted offer, or by hand. */
export type KeyDateOrigin = TransactionKeyDateView['origin'];

/** `transaction_file.status`, as its CHECK constraint allows: declared and receiving chunks, or complete. */
export type TransactionFileStatus = 'uploading' | 'stored';
