import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Selectable } from 'kysely';
import type { DataSource } from 'typeorm';
import {
  AuditEvent,
  AuditSubjects,
  type Actor,
  type AuditArchiveListRequest,
  type AuditCheckpointListRequest,
  type AuditCheckpointPage,
  type AuditArchiveView,
  type AuditEntryView,
  type AuditLogListRequest,
  type AuditSettingsUpdateRequest,
  type AuditSettingsView,
  type Page,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope, scopeOf } from '@keyhouse/platform/auth';
import { kyselyFor, type SqlRunner } from '@keyhouse/platform/database';
import { DomainException, RpcHandler } from '@keyhouse/platform/messaging';
import { decodeCursor, encodeCursor, newId, pageLimit } from '@keyhouse/util';
import { AuditErrorCode } from '../../audit.exception';
import type { AuditDb } from '../../database/audit.db';
import type { AuditChangeSet, AuditDetails } from '../../database/audit-json.type';
import { AuditCheckpointStore } from '../checkpoint/audit-checkpoint-store.service';
import { isoMillis } from '../ledger/audit-hash.util';
import { AuditLedger } from '../ledger/audit-ledger.service';
import { toEntryView } from './audit-entry.row';

/** Largest page of the CSV export's internal paging (rows per NATS reply, well under 1 MiB). */
export const EXPORT_PAGE_MAX = 500;

type SettingsRow = Pick<Selectable<AuditDb['audit_org_setting']>, 'managers_may_read' | 'retention_days'>;

/**
 * Reading the trail: the filtered, keyset-paginated list (newest first, by seq), the pages of the
 * CSV export, and the per-organization settings. Owners and admins (`audit:read:org`) read their
 * whole organization; a `audit:read:team` holder (a custom manager role) reads entries whose actor
 * is in one of their teams, only if the organization allows it (`managersMayRead`).
 */
@Injectable()
export class AuditLogsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: AuditLedger,
    private readonly checkpointStore: AuditCheckpointStore,
  ) {}

  /**
   * The filtered trail, newest first, keyset-paginated by seq (`AuditSubjects.list`).
   *
   * @throws DomainException `FORBIDDEN` without `audit:read`; `AUDIT_TEAM_READ_DISABLED` for team
   *   scope when the organization does not allow it; `INVALID_CURSOR`, `VALIDATION_FAILED` (dates).
   */
  @RpcHandler(AuditSubjects.list)
  async list(envelope: RequestEnvelope<AuditLogListRequest>): Promise<Page<AuditEntryView>> {
    return this.page(envelope.actor, envelope.data, pageLimit(envelope.data.limit));
  }

  /**
   * One page of the export (up to `EXPORT_PAGE_MAX` rows; `AuditSubjects.exportPage`); the first
   * page records `audit.log.exported`. Errors as `list`.
   */
  @RpcHandler(AuditSubjects.exportPage)
  async exportPage(envelope: RequestEnvelope<AuditLogListRequest>): Promise<Page<AuditEntryView>> {
    const limit = Math.min(EXPORT_PAGE_MAX, Math.max(1, Math.trunc(envelope.data.limit ?? EXPORT_PAGE_MAX)));
    const page = await this.page(envelope.actor, envelope.data, limit);
    if (!envelope.data.cursor) {
      const { cursor: _cursor, limit: _limit, ...filters } = envelope.data;
      await this.recordOwnAction(envelope, AuditEvent.logExported.type, 'log', null, { filters });
    }
    return page;
  }

  /**
   * The organization's settings (`AuditSubjects.settingsGet`); defaults when never set.
   *
   * @throws DomainException `FORBIDDEN` without `audit:read` (team scope or more).
   */
  @RpcHandler(AuditSubjects.settingsGet)
  async getSettings(envelope: RequestEnvelope<Record<string, never>>): Promise<AuditSettingsView> {
    requireScope(envelope.actor, 'audit:read', 'team');
    return toSettings(await this.settingsOf(this.dataSource, envelope.actor!.orgId));
  }

  /**
   * Changes the organization's settings (`AuditSubjects.settingsUpdate`) and, in the same
   * transaction, records what changed (`audit.settings.updated`); replies the new settings.
   *
   * @throws DomainException `FORBIDDEN` without `organizations:write` at org scope.
   */
  @RpcHandler(AuditSubjects.settingsUpdate)
  async updateSettings(envelope: RequestEnvelope<AuditSettingsUpdateRequest>): Promise<AuditSettingsView> {
    requireScope(envelope.actor, 'organizations:write', 'org');
    const orgId = envelope.actor!.orgId;
    return this.dataSource.transaction(async (manager) => {
      const before = toSettings(await this.settingsOf(manager, orgId));
      const after = { ...before, ...envelope.data };
      await kyselyFor<AuditDb>(manager)
        .insertInto('audit_org_setting')
        .values({ org_id: orgId, managers_may_read: after.managersMayRead, retention_days: after.retentionDays })
        .onConflict((conflict) =>
          conflict.column('org_id').doUpdateSet((eb) => ({
            managers_may_read: eb.ref('excluded.managers_may_read'),
            retention_days: eb.ref('excluded.retention_days'),
            updated_at: sql<Date>`now()`,
          })),
        )
        .execute();
      const changes: AuditChangeSet = {};
      for (const key of ['managersMayRead', 'retentionDays'] as const) {
        if (before[key] !== after[key]) changes[key] = { from: before[key], to: after[key] };
      }
      if (Object.keys(changes).length > 0) {
        await this.ledger.append(manager, this.ownDraft(envelope, AuditEvent.settingsUpdated.type, 'settings', orgId, changes, null));
      }
      return after;
    });
  }

  /**
   * The organization's checkpoints, newest first, with the public keys that verify them (org scope
   * of `audit:read`), so that anyone can check them outside Keyhouse (RELIABILITY.md SEC-AL-06;
   * `AuditSubjects.checkpointsList`).
   *
   * @throws DomainException `FORBIDDEN` below org scope; `INVALID_CURSOR`.
   */
  @RpcHandler(AuditSubjects.checkpointsList)
  async listCheckpoints(envelope: RequestEnvelope<AuditCheckpointListRequest>): Promise<AuditCheckpointPage> {
    requireScope(envelope.actor, 'audit:read', 'org');
    const limit = pageLimit(envelope.data.limit);
    const orgId = envelope.actor!.orgId;
    let select = kyselyFor<AuditDb>(this.dataSource)
      .selectFrom('audit_checkpoint')
      .select(['id', 'seq', 'hash', 'created_at', 'key_id', 'signature'])
      .where('org_id', '=', orgId);
    if (envelope.data.cursor) select = select.where('seq', '<', String(cursorValue(envelope.data.cursor)));
    const rows = await select
      .orderBy('seq', 'desc')
      .limit(limit + 1)
      .execute();
    const kept = rows.slice(0, limit);
    const last = kept[kept.length - 1];
    return {
      items: kept.map((row) => ({
        orgId,
        seq: Number(row.seq),
        hash: row.hash,
        createdAt: isoMillis(row.created_at),
        keyId: row.key_id,
        signature: row.signature,
      })),
      nextCursor: rows.length > limit && last ? encodeCursor({ v: Number(last.seq), id: last.id }) : null,
      publicKeys: this.checkpointStore.signer.publicKeysBase64,
    };
  }

  /**
   * The organization's retention archives, newest first (`AuditSubjects.archivesList`; org scope of
   * `audit:read`: the files hold every actor's entries).
   *
   * @throws DomainException `FORBIDDEN` below org scope; `INVALID_CURSOR`.
   */
  @RpcHandler(AuditSubjects.archivesList)
  async listArchives(envelope: RequestEnvelope<AuditArchiveListRequest>): Promise<Page<AuditArchiveView>> {
    requireScope(envelope.actor, 'audit:read', 'org');
    const limit = pageLimit(envelope.data.limit);
    let select = kyselyFor<AuditDb>(this.dataSource)
      .selectFrom('audit_archive')
      .select(['id', 'from_seq', 'to_seq', 'entry_count', 'prev_hash', 'head_hash', 'location', 'file_sha256', 'created_at'])
      .where('org_id', '=', envelope.actor!.orgId);
    if (envelope.data.cursor) select = select.where('from_seq', '<', String(cursorValue(envelope.data.cursor)));
    const rows = await select
      .orderBy('from_seq', 'desc')
      .limit(limit + 1)
      .execute();
    const kept = rows.slice(0, limit);
    const last = kept[kept.length - 1];
    return {
      items: kept.map((row) => ({
        id: row.id,
        fromSeq: Number(row.from_seq),
        toSeq: Number(row.to_seq),
        entryCount: row.entry_count,
        prevHash: row.prev_hash,
        headHash: row.head_hash,
        file: row.location.split(/[\\/]/).pop() ?? row.location,
        fileSha256: row.file_sha256,
        createdAt: isoMillis(row.created_at),
      })),
      nextCursor: rows.length > limit && last ? encodeCursor({ v: Number(last.from_seq), id: last.id }) : null,
    };
  }

  private async page(actor: Actor | null, query: AuditLogListRequest, limit: number): Promise<Page<AuditEntryView>> {
    if (!actor || !scopeOf(actor, 'audit:read')) throw DomainException.forbidden();
    let select = kyselyFor<AuditDb>(this.dataSource).selectFrom('audit_entry as e').selectAll('e').where('e.org_id', '=', actor.orgId);
    const scope = scopeOf(actor, 'audit:read');
    if (scope === 'team') {
      const settings = await this.settingsOf(this.dataSource, actor.orgId);
      if (!settings?.managers_may_read) {
        throw DomainException.forbidden(AuditErrorCode.TeamReadDisabled, 'This organization does not let managers read the audit trail');
      }
      select = select.where('e.actor_id', 'in', (eb) =>
        eb
          .selectFrom('audit_org_member as m')
          .select('m.user_id')
          .where('m.org_id', '=', actor.orgId)
          .where('m.team_ids', '&&', sql<string[]>`${actor.teamIds}::text[]`),
      );
    } else if (scope !== 'org') {
      throw DomainException.forbidden();
    }
    if (query.user) select = select.where('e.actor_id', '=', query.user);
    if (query.action) {
      // Backslash is Postgres' default LIKE escape character; escapeLike escapes with it.
      if (query.action.endsWith('.*')) select = select.where('e.action', 'like', `${escapeLike(query.action.slice(0, -1))}%`);
      else select = select.where('e.action', '=', query.action);
    }
    if (query.model) select = select.where('e.target_model', '=', query.model);
    if (query.recordId) select = select.where('e.target_id', '=', query.recordId);
    if (query.from) select = select.where('e.occurred_at', '>=', validDate(query.from, 'from'));
    if (query.to) select = select.where('e.occurred_at', '<', validDate(query.to, 'to'));
    if (query.date) {
      const day = validDate(`${query.date}T00:00:00.000Z`, 'date');
      select = select.where('e.occurred_at', '>=', day).where('e.occurred_at', '<', new Date(day.getTime() + 86_400_000));
    }
    if (query.cursor) select = select.where('e.seq', '<', String(cursorValue(query.cursor)));
    const rows = await select
      .orderBy('e.seq', 'desc')
      .limit(limit + 1)
      .execute();
    const kept = rows.slice(0, limit);
    const last = kept[kept.length - 1];
    return {
      items: kept.map(toEntryView),
      nextCursor: rows.length > limit && last ? encodeCursor({ v: Number(last.seq), id: last.id }) : null,
    };
  }

  private async settingsOf(runner: SqlRunner, orgId: string): Promise<SettingsRow | undefined> {
    return kyselyFor<AuditDb>(runner)
      .selectFrom('audit_org_setting')
      .select(['managers_may_read', 'retention_days'])
      .where('org_id', '=', orgId)
      .executeTakeFirst();
  }

  private async recordOwnAction(
    envelope: RequestEnvelope,
    action: string,
    model: string,
    targetId: string | null,
    details: AuditDetails,
  ): Promise<void> {
    await this.dataSource.transaction((manager) =>
      this.ledger.append(manager, { ...this.ownDraft(envelope, action, model, targetId, null, null), details }),
    );
  }

  private ownDraft(
    envelope: RequestEnvelope,
    action: string,
    model: string,
    targetId: string | null,
    changes: AuditChangeSet | null,
    details: AuditDetails | null,
  ) {
    const actor = envelope.actor!;
    return {
      orgId: actor.orgId,
      eventId: newId(),
      action,
      actor: {
        type: actor.type,
        id: (actor.type === 'api_key' ? actor.apiKeyId : actor.userId) ?? null,
        role: actor.role ?? null,
      },
      target: { model, id: targetId },
      occurredAt: isoMillis(new Date()),
      source: 'keyhouse/audit',
      requestId: envelope.requestId ?? null,
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      changes,
      details,
    };
  }
}

function toSettings(row: SettingsRow | undefined): AuditSettingsView {
  return { managersMayRead: row?.managers_may_read ?? false, retentionDays: row?.retention_days ?? null };
}

/** The numeric position of a keyset cursor of these lists; 400 `INVALID_CURSOR` otherwise. */
function cursorValue(cursor: string): number {
  const position = decodeCursor(cursor);
  if (!position || typeof position.v !== 'number') {
    throw new DomainException('validation', AuditErrorCode.InvalidCursor, 'The cursor is not valid for this list', [
      { field: 'cursor', message: 'is not a cursor of this list' },
    ]);
  }
  return position.v;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (match) => `\\${match}`);
}

function validDate(value: string, field: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw DomainException.validation([{ field, message: 'must be an ISO 8601 date-time' }]);
  return date;
}
