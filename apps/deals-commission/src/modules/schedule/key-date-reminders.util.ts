import type { EntityManager } from 'typeorm';
import type { DealSettingsView, TransactionKeyDate } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { newId } from '@keyhouse/util';
import type { DealsCommissionDb } from '../../database/deals-commission.db';
import { reminderInstant } from './contract-deadlines.util';

/**
 * Reminders of one key date (`key_date_reminder`), one per offset of `settings`, in the caller's
 * database transaction. A reminder whose time has already passed while the date is still ahead goes
 * out at the next run, but only the nearest such one (no burst of stale reminders for a date set at
 * short notice); none for a date already begun. Reminders already sent for this date and offset are
 * kept (unique key), so nothing goes out twice.
 */
export async function scheduleReminders(
  manager: EntityManager,
  orgId: string,
  transactionId: string,
  key: TransactionKeyDate,
  date: string,
  settings: Pick<DealSettingsView, 'timeZone' | 'reminderOffsetsMinutes'>,
): Promise<void> {
  const now = Date.now();
  if (reminderInstant(date, 0, settings.timeZone).getTime() <= now) return;
  const planned = settings.reminderOffsetsMinutes.map((offset) => ({ offset, at: reminderInstant(date, offset, settings.timeZone) }));
  const past = planned.filter((item) => item.at.getTime() <= now).sort((a, b) => a.offset - b.offset);
  const keep = [...planned.filter((item) => item.at.getTime() > now), ...past.slice(0, 1)];
  const db = kyselyFor<DealsCommissionDb>(manager);
  for (const item of keep) {
    await db
      .insertInto('key_date_reminder')
      .values({
        id: newId(),
        org_id: orgId,
        transaction_id: transactionId,
        key,
        due_on: date,
        offset_minutes: item.offset,
        remind_at: item.at,
      })
      .onConflict((conflict) => conflict.columns(['transaction_id', 'key', 'due_on', 'offset_minutes']).doNothing())
      .execute();
  }
}

/**
 * After a change of time zone or offsets: the organization's unsent reminders are dropped and those
 * of pending dates (not done, on open deals) planned again with `settings`, in the caller's database
 * transaction.
 */
export async function rescheduleOrganizationReminders(
  manager: EntityManager,
  orgId: string,
  settings: Pick<DealSettingsView, 'timeZone' | 'reminderOffsetsMinutes'>,
): Promise<void> {
  const db = kyselyFor<DealsCommissionDb>(manager);
  await db.deleteFrom('key_date_reminder').where('org_id', '=', orgId).where('sent_at', 'is', null).execute();
  const rows = await db
    .selectFrom('key_date as k')
    .innerJoin('deal_transaction as t', 't.id', 'k.transaction_id')
    .select((eb) => ['k.transaction_id', 'k.key', eb.cast<string>('k.due_on', 'text').as('due_on')])
    .where('k.org_id', '=', orgId)
    .where('k.done_at', 'is', null)
    .where('t.deleted_at', 'is', null)
    .where('t.status', '=', 'open')
    .execute();
  for (const row of rows) await scheduleReminders(manager, orgId, row.transaction_id, row.key, row.due_on, settings);
}
