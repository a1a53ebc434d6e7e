import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import { IANAZone } from 'luxon';
import type { DataSource, EntityManager } from 'typeorm';
import {
  DealsEvent,
  DealsScheduleSubjects,
  TRANSACTION_KEY_DATES,
  type DealsEmptyRequest,
  type DealSettingsUpdateRequest,
  type DealSettingsView,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import type { DealsCommissionDb } from '../../database/deals-commission.db';
import { actorOf, scopeFor } from '../scope.util';
import { rescheduleOrganizationReminders } from './key-date-reminders.util';

/**
 * Defaults of an organization without settings: earnest money in 3 business days, inspection 10,
 * appraisal 17, financing 21, final walk-through 29 and closing 30 calendar days after acceptance
 * (rolled to the next business day), no holidays, reminders 3 days and 1 day before, UTC.
 */
export const DEFAULT_DEAL_SETTINGS: Omit<DealSettingsView, 'updatedAt'> = {
  timeZone: 'UTC',
  deadlines: {
    depositDue: { days: 3, count: 'business' },
    inspection: { days: 10, count: 'calendar' },
    appraisal: { days: 17, count: 'calendar' },
    financingContingency: { days: 21, count: 'calendar' },
    finalWalkThrough: { days: 29, count: 'calendar' },
    closing: { days: 30, count: 'calendar' },
  },
  rollToBusinessDay: true,
  holidays: [],
  reminderOffsetsMinutes: [4320, 1440],
};

/**
 * Per-organization deal settings: contract deadline rules, holidays, time zone and reminder
 * offsets. Read with `transactions:read`; changed by admins (`transactions:write` at org scope,
 * like pipelines; ADR 0017). A change of time zone or offsets reschedules the unsent reminders.
 */
@Injectable()
export class DealSettingsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** The organization's settings merged over the defaults. */
  async load(manager: EntityManager, orgId: string): Promise<DealSettingsView> {
    const row = await kyselyFor<DealsCommissionDb>(manager)
      .selectFrom('deal_settings')
      .select((eb) => [
        'time_zone',
        'deadlines',
        'roll_to_business_day',
        sql<string[]>`${eb.ref('holidays')}::text[]`.as('holidays'),
        'reminder_offsets_minutes',
        'updated_at',
      ])
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    if (!row) return { ...DEFAULT_DEAL_SETTINGS, updatedAt: null };
    return {
      timeZone: row.time_zone,
      deadlines: { ...DEFAULT_DEAL_SETTINGS.deadlines, ...row.deadlines },
      rollToBusinessDay: row.roll_to_business_day,
      holidays: [...row.holidays].sort(),
      reminderOffsetsMinutes: row.reminder_offsets_minutes,
      updatedAt: row.updated_at?.toISOString() ?? null,
    };
  }

  /** `GET /v1/deal-settings` (`transactions:read`): the settings merged over the defaults (`updatedAt` null when never changed). */
  @RpcHandler(DealsScheduleSubjects.settingsGet)
  async get(envelope: RequestEnvelope<DealsEmptyRequest>): Promise<DealSettingsView> {
    const actor = actorOf(envelope);
    scopeFor(actor, 'transactions:read');
    return this.load(this.dataSource.manager, actor.orgId);
  }

  /**
   * `PATCH /v1/deal-settings`: 403 below `transactions:write` at org scope; 400 for an unknown time
   * zone. `deadlines` merge per key; `holidays` and `reminderOffsetsMinutes` replace the lists.
   * A change of time zone or reminder offsets reschedules the unsent reminders in the same database
   * transaction; `deals.settings.updated`.
   */
  @RpcHandler(DealsScheduleSubjects.settingsUpdate)
  async update(envelope: RequestEnvelope<DealSettingsUpdateRequest>): Promise<DealSettingsView> {
    const actor = actorOf(envelope);
    scopeFor(actor, 'transactions:write', 'org');
    const data = envelope.data;
    if (data.timeZone !== undefined && !IANAZone.isValidZone(data.timeZone)) {
      throw DomainException.validation([{ field: 'timeZone', message: 'must be an IANA time zone such as America/Los_Angeles' }]);
    }
    for (const key of Object.keys(data.deadlines ?? {})) {
      if (!(TRANSACTION_KEY_DATES as readonly string[]).includes(key))
        throw DomainException.validation([{ field: `deadlines.${key}`, message: 'is not a key date' }]);
    }
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const db = kyselyFor<DealsCommissionDb>(manager);
      await db
        .insertInto('deal_settings')
        .values({ org_id: actor.orgId })
        .onConflict((conflict) => conflict.column('org_id').doNothing())
        .execute();
      const before = await this.load(manager, actor.orgId);
      const next = {
        timeZone: data.timeZone ?? before.timeZone,
        deadlines: { ...before.deadlines, ...(data.deadlines ?? {}) },
        rollToBusinessDay: data.rollToBusinessDay ?? before.rollToBusinessDay,
        holidays: [...new Set(data.holidays ?? before.holidays)].sort(),
        reminderOffsetsMinutes: [...new Set(data.reminderOffsetsMinutes ?? before.reminderOffsetsMinutes)].sort((a, b) => b - a),
      };
      await db
        .updateTable('deal_settings')
        .set({
          time_zone: next.timeZone,
          deadlines: JSON.stringify(next.deadlines),
          roll_to_business_day: next.rollToBusinessDay,
          holidays: sql<string[]>`${next.holidays}::date[]`,
          reminder_offsets_minutes: next.reminderOffsetsMinutes,
          updated_at: sql<Date>`now()`,
        })
        .where('org_id', '=', actor.orgId)
        .execute();
      const view = await this.load(manager, actor.orgId);
      if (
        view.timeZone !== before.timeZone ||
        JSON.stringify(view.reminderOffsetsMinutes) !== JSON.stringify(before.reminderOffsetsMinutes)
      ) {
        await rescheduleOrganizationReminders(manager, actor.orgId, view);
      }
      await unit.emit(DealsEvent.settingsUpdated, actor.orgId, actor.orgId, { settings: view });
      return view;
    });
  }
}
