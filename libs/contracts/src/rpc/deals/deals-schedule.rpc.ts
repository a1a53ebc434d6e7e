/** NATS subjects and payloads for the organization's deal settings (contract deadlines, holidays, reminders) and key-date status. */
import { defineRpc } from '../rpc-contract.util';
import type { DealsEmptyRequest, TransactionKeyDate } from './deals-transactions.rpc';

/** The organization's deal settings and transactions' key dates. */
export const DealsScheduleSubjects = {
  settingsGet: defineRpc<DealsEmptyRequest, DealSettingsView>('deals.settings.get'),
  settingsUpdate: defineRpc<DealSettingsUpdateRequest, DealSettingsView>('deals.settings.update'),
  keyDateList: defineRpc<{ transactionId: string }, { items: TransactionKeyDateView[] }>('deals.key-dates.list'),
  keyDateUpdate: defineRpc<TransactionKeyDateUpdateRequest, TransactionKeyDateView>('deals.key-dates.update'),
};

/** How a deadline counts days from the acceptance date: every day, or Monday–Friday except the organization's holidays. */
export type DealDayCount = 'calendar' | 'business';

/** One contract deadline rule: `days` after the acceptance date (the acceptance day itself is day 0). */
export interface DealDeadlineRule {
  days: number;
  count: DealDayCount;
}

/**
 * Per-organization deal settings (`GET/PATCH /v1/deal-settings`). `deadlines` per key date
 * (`depositDue` is the earnest-money deadline); a calendar-day deadline that falls on a weekend or
 * holiday moves to the next business day when `rollToBusinessDay`. `holidays` are `YYYY-MM-DD`.
 * `reminderOffsetsMinutes`: reminders go out that many minutes before the start (00:00) of a key
 * date in `timeZone` (IANA). Invoices are numbered from `nextInvoiceNumber`.
 */
export interface DealSettingsView {
  timeZone: string;
  deadlines: Record<TransactionKeyDate, DealDeadlineRule>;
  rollToBusinessDay: boolean;
  holidays: string[];
  reminderOffsetsMinutes: number[];
  updatedAt: string | null;
}

export type DealSettingsUpdateRequest = Partial<Omit<DealSettingsView, 'updatedAt' | 'deadlines'>> & {
  deadlines?: Partial<Record<TransactionKeyDate, DealDeadlineRule>>;
};

/** A key date of a transaction with its follow-up state. */
export interface TransactionKeyDateView {
  key: TransactionKeyDate;
  date: string;
  /** `computed` from an accepted offer's acceptance date, or `manual`. */
  origin: 'computed' | 'manual';
  doneAt: string | null;
  missedAt: string | null;
  reminders: Array<{ offsetMinutes: number; remindAt: string; sentAt: string | null }>;
}

export interface TransactionKeyDateUpdateRequest {
  transactionId: string;
  key: TransactionKeyDate;
  done: boolean;
}
