import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
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
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { actorOf, scopeFor } from '../scope.util';
import { rescheduleOrganizationReminders } from './key-date-reminders';

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

interface SettingsRow {
  time_zone: string;
  deadlines: Partial<DealSettingsView['deadlines']>;
  roll_to_business_day: boolean;
  holidays: string[];
  reminder_offsets_minutes: number[];
  updated_at: Date | null;
}

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
    const rows = (await manager.query(
      `SELECT time_zone, deadlines, roll_to_business_day, holidays::text[] AS holidays, reminder_offsets_minutes, updated_at FROM deal_settings WHERE org_id = $1`,
      [orgId],
    )) as SettingsRow[];
    if (!rows.length) return { ...DEFAULT_DEAL_SETTINGS, updatedAt: null };
    const row = rows[0];
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
      await manager.query(`INSERT INTO deal_settings (org_id) VALUES ($1) ON CONFLICT (org_id) DO NOTHING`, [actor.orgId]);
      const before = await this.load(manager, actor.orgId);
      const next = {
        timeZone: data.timeZone ?? before.timeZone,
        deadlines: { ...before.deadlines, ...(data.deadlines ?? {}) },
        rollToBusinessDay: data.rollToBusinessDay ?? before.rollToBusinessDay,
        holidays: [...new Set(data.holidays ?? before.holidays)].sort(),
        reminderOffsetsMinutes: [...new Set(data.reminderOffsetsMinutes ?? before.reminderOffsetsMinutes)].sort((a, b) => b - a),
      };
      await manager.query(
        `UPDATE deal_settings SET time_zone = $2, deadlines = $3, roll_to_business_day = $4, holidays = $5::date[], reminder_offsets_minutes = $6, updated_at = now()
         WHERE org_id = $1`,
        [actor.orgId, next.timeZone, JSON.stringify(next.deadlines), next.rollToBusinessDay, next.holidays, next.reminderOffsetsMinutes],
      );
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
