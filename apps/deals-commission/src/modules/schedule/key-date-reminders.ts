import type { EntityManager } from 'typeorm';
import type { DealSettingsView } from '@keyhouse/contracts';
import { newId } from '@keyhouse/util';
import { reminderInstant } from './contract-deadlines';

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
  key: string,
  date: string,
  settings: Pick<DealSettingsView, 'timeZone' | 'reminderOffsetsMinutes'>,
): Promise<void> {
  const now = Date.now();
  if (reminderInstant(date, 0, settings.timeZone).getTime() <= now) return;
  const planned = settings.reminderOffsetsMinutes.map((offset) => ({ offset, at: reminderInstant(date, offset, settings.timeZone) }));
  const past = planned.filter((item) => item.at.getTime() <= now).sort((a, b) => a.offset - b.offset);
  const keep = [...planned.filter((item) => item.at.getTime() > now), ...past.slice(0, 1)];
  for (const item of keep) {
    await manager.query(
      `INSERT INTO key_date_reminder (id, org_id, transaction_id, key, due_on, offset_minutes, remind_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (transaction_id, key, due_on, offset_minutes) DO NOTHING`,
      [newId(), orgId, transactionId, key, date, item.offset, item.at],
    );
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
  await manager.query(`DELETE FROM key_date_reminder WHERE org_id = $1 AND sent_at IS NULL`, [orgId]);
  const rows = (await manager.query(
    `SELECT k.transaction_id, k.key, k.due_on::text AS due_on FROM key_date k JOIN deal_transaction t ON t.id = k.transaction_id
     WHERE k.org_id = $1 AND k.done_at IS NULL AND t.deleted_at IS NULL AND t.status = 'open'`,
    [orgId],
  )) as Array<{ transaction_id: string; key: string; due_on: string }>;
  for (const row of rows) await scheduleReminders(manager, orgId, row.transaction_id, row.key, row.due_on, settings);
}
