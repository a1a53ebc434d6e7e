import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Kysely, type Selectable } from 'kysely';
import { Counter } from 'prom-client';
import type { DataSource } from 'typeorm';
import {
  AUDIT_GATEWAY_EVENTS_TOPIC,
  IdentityEvent,
  NOTIFICATIONS_EVENTS_TOPIC,
  NotificationsEvent,
  type CloudEvent,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { OnEventBatch } from '@keyhouse/platform/messaging';
import type { AuditDb } from '../../database/audit.db';
import { draftFromEvent, maskPhone, type AuditEntryDraft } from '../ledger/audit-entry.mapper';
import { AuditLedger } from '../ledger/audit-ledger.service';

/** Topics the audit trail records (without `KAFKA_TOPIC_PREFIX`): every service's events and the gateway's refusals. */
export const AUDITED_TOPICS = [
  'identity.events',
  'crm.events',
  'listings.events',
  'deals.events',
  AUDIT_GATEWAY_EVENTS_TOPIC,
  NOTIFICATIONS_EVENTS_TOPIC,
];

/**
 * What the trail keeps of an event whose personal data the generic field-name masking
 * (`draftFromEvent`, docs/adr/0015) would not catch: the notifications service keys its SMS opt-out
 * events by the person's phone number (the `subject`, kept as the target id) and an inbound SMS
 * carries the sender's number as `from` (which the generic mapping reads as a change set) and the
 * message text. The trail is append-only and never erased, so before mapping: the subject of
 * `notifications.sms.opted_out` / `opted_in` is masked like a phone (`***67`); `sms.received` keeps
 * ids, the numbers as `fromPhone` (masked by name) and `sender` (our own number), the media count
 * and the body's length, never the body. Every other event is returned as it is.
 */
export function auditableEvent(event: CloudEvent): CloudEvent {
  switch (event.type) {
    case NotificationsEvent.smsOptedOut.type:
    case NotificationsEvent.smsOptedIn.type:
      return typeof event.subject === 'string' ? { ...event, subject: maskPhone(event.subject) } : event;
    case NotificationsEvent.smsReceived.type: {
      const data = (event.data ?? {}) as Record<string, unknown>;
      return {
        ...event,
        data: {
          inboundId: data.inboundId ?? null,
          messageSid: data.messageSid ?? null,
          fromPhone: data.from ?? null,
          sender: data.to ?? null,
          numMedia: data.numMedia ?? null,
          bodyLength: typeof data.body === 'string' ? data.body.length : null,
        },
      };
    }
    default:
      return event;
  }
}

/** Consumer group and inbox consumer name (one per audit trail, so every event is recorded once). */
export const AUDIT_INBOX_CONSUMER = 'audit.trail';

const recorded = new Counter({ name: 'audit_entries_recorded_total', help: 'Audit entries appended to a chain', labelNames: ['topic'] });
const duplicates = new Counter({
  name: 'audit_events_duplicate_total',
  help: 'Redelivered events skipped by the inbox',
  labelNames: ['topic'],
});

/**
 * The audit trail's ingest: consumer group `audit.trail` over `AUDITED_TOPICS` in batch mode
 * (`@OnEventBatch`, 2 partitions at once), started, stopped and watched (`event-consumers`
 * liveness) by the chassis' `EventHandlerRegistry`. A fetched batch becomes, per organization, one
 * transaction: the inbox rows of its events (`inbox_event`, consumer `audit.trail`, `ON CONFLICT DO
 * NOTHING`) and the chained entries of the events not seen before (`AuditLedger.appendMany`: one
 * lock, one head read, multi-row INSERTs, in offset order), so a redelivery after a crash or a
 * rebalance is skipped: exactly one entry per event id. Offsets are committed after the batch's
 * transactions commit (at-least-once delivery + inbox = effectively once); a failing batch is
 * handed over again one event at a time, with retries and dead-lettering (`EventConsumer`).
 * Identity's user and team events also keep `audit_org_member` up to date (managers' team scope).
 */
@Injectable()
export class AuditIngestConsumer {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: AuditLedger,
  ) {}

  /**
   * Records events in order, one transaction per organization (inbox rows + chained entries +
   * membership); returns how many were new (the others were already recorded). The handler of
   * each fetched batch of one partition of `AUDITED_TOPICS` (`topic` without the prefix: the
   * metrics' label); tests and benches call it directly too.
   *
   * @throws whatever Postgres throws (that organization's transaction rolled back; the ones before it committed).
   */
  @OnEventBatch({ group: AUDIT_INBOX_CONSUMER, topics: AUDITED_TOPICS, partitionsConsumedConcurrently: 2 })
  async recordBatch(events: CloudEvent[], topic = 'direct'): Promise<number> {
    const byOrg = new Map<string, Array<{ event: CloudEvent; draft: AuditEntryDraft }>>();
    for (const event of events) {
      const draft = draftFromEvent(auditableEvent(event));
      const list = byOrg.get(draft.orgId) ?? [];
      list.push({ event, draft });
      byOrg.set(draft.orgId, list);
    }
    let recordedCount = 0;
    for (const [orgId, items] of byOrg) {
      recordedCount += await this.dataSource.transaction(async (manager) => {
        const db = kyselyFor<AuditDb>(manager);
        // Raw SQL: a multi-array unnest as the INSERT's source (no builder form); rows typed by the schema.
        const inserted = await sql<Pick<Selectable<AuditDb['inbox_event']>, 'event_id'>>`
          INSERT INTO inbox_event (consumer, event_id, event_type)
          SELECT ${AUDIT_INBOX_CONSUMER}, id, type FROM unnest(${items.map((item) => item.draft.eventId)}::text[], ${items.map((item) => item.draft.action)}::text[]) AS e(id, type)
          ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id`.execute(db);
        const fresh = new Set(inserted.rows.map((row) => row.event_id));
        const kept = items.filter((item) => fresh.delete(item.draft.eventId)); // first occurrence of each new id
        await this.ledger.appendMany(
          manager,
          orgId,
          kept.map((item) => item.draft),
        );
        for (const item of kept) await this.trackMembership(db, item.event);
        return kept.length;
      });
    }
    recorded.inc({ topic }, recordedCount);
    if (events.length > recordedCount) duplicates.inc({ topic }, events.length - recordedCount);
    return recordedCount;
  }

  /**
   * Keeps `audit_org_member` (user → team ids) from identity's events: a user's full team list
   * from `user.created` (`teamIds`) and `user.teams_changed` (`to`); a team's members from
   * `team.created` (`memberIds`), `team.updated` (`changes.memberIds { from, to }`: removed members
   * lose the team, added ones gain it) and `team.deleted` (every member loses it).
   */
  private async trackMembership(db: Kysely<AuditDb>, event: CloudEvent): Promise<void> {
    const data = (event.data ?? {}) as Record<string, unknown>;
    const orgId = event.orgid;
    const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string') : []);
    switch (event.type) {
      case IdentityEvent.userCreated.type:
      case IdentityEvent.userTeamsChanged.type: {
        const teamIds = event.type === IdentityEvent.userCreated.type ? data.teamIds : data.to;
        if (typeof data.userId !== 'string' || !Array.isArray(teamIds)) return;
        await db
          .insertInto('audit_org_member')
          .values({ org_id: orgId, user_id: data.userId, team_ids: strings(teamIds) })
          .onConflict((conflict) =>
            conflict
              .columns(['org_id', 'user_id'])
              .doUpdateSet((eb) => ({ team_ids: eb.ref('excluded.team_ids'), updated_at: sql<Date>`now()` })),
          )
          .execute();
        return;
      }
      case IdentityEvent.teamCreated.type:
        if (typeof data.teamId === 'string') await this.joinTeam(db, orgId, data.teamId, strings(data.memberIds));
        return;
      case IdentityEvent.teamUpdated.type: {
        const change = (data.changes as Record<string, { from?: unknown; to?: unknown }> | undefined)?.memberIds;
        if (typeof data.teamId !== 'string' || !change) return;
        const before = strings(change.from);
        const after = strings(change.to);
        await this.leaveTeam(
          db,
          orgId,
          data.teamId,
          before.filter((id) => !after.includes(id)),
        );
        await this.joinTeam(
          db,
          orgId,
          data.teamId,
          after.filter((id) => !before.includes(id)),
        );
        return;
      }
      case IdentityEvent.teamDeleted.type:
        if (typeof data.teamId === 'string') {
          const teamId = data.teamId;
          await db
            .updateTable('audit_org_member')
            .set({ team_ids: sql<string[]>`array_remove(team_ids, ${teamId}::text)`, updated_at: sql<Date>`now()` })
            .where('org_id', '=', orgId)
            .where((eb) => eb(sql<string>`${teamId}::text`, '=', eb.fn.any('team_ids')))
            .execute();
        }
        return;
      default:
        return;
    }
  }

  private async joinTeam(db: Kysely<AuditDb>, orgId: string, teamId: string, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    // Raw SQL: INSERT … SELECT from unnest with a conditional append on conflict.
    await sql`
      INSERT INTO audit_org_member (org_id, user_id, team_ids) SELECT ${orgId}, u, ARRAY[${teamId}::text] FROM unnest(${userIds}::text[]) AS u
      ON CONFLICT (org_id, user_id) DO UPDATE
        SET team_ids = CASE WHEN ${teamId}::text = ANY(audit_org_member.team_ids) THEN audit_org_member.team_ids
                            ELSE array_append(audit_org_member.team_ids, ${teamId}::text) END,
            updated_at = now()`.execute(db);
  }

  private async leaveTeam(db: Kysely<AuditDb>, orgId: string, teamId: string, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    await db
      .updateTable('audit_org_member')
      .set({ team_ids: sql<string[]>`array_remove(team_ids, ${teamId}::text)`, updated_at: sql<Date>`now()` })
      .where('org_id', '=', orgId)
      .where('user_id', '=', (eb) => eb.fn.any(sql<string[]>`${userIds}::text[]`))
      .execute();
  }
}
