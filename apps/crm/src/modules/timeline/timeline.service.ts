import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { CrmContactSubjects as S, type CrmTimelineEntry, type CrmTimelineRequest, type Page, type RequestEnvelope } from '@keyhouse/contracts';
import { keyset, toPage } from '@keyhouse/platform/database';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { ContactLookup } from '../contacts/contact-lookup.service';
import { pageOrThrow } from '../shared/list-query.util';

interface TimelineRow {
  id: string;
  contact_id: string;
  kind: string;
  occurred_at: Date;
  actor_id: string | null;
  data: Record<string, unknown>;
}

/**
 * The contact's own activity history (creation, changes, status and score changes, assignments,
 * notes, form submissions, lead events, merges), newest first. Entries are written in the same
 * transaction as the change they describe.
 */
@Injectable()
export class TimelineService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly contacts: ContactLookup,
  ) {}

  async record(
    manager: EntityManager,
    entry: { orgId: string; contactId: string; kind: string; actorId: string | null; data?: Record<string, unknown>; occurredAt?: Date },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO timeline_entry (id, org_id, contact_id, kind, occurred_at, actor_id, data) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [newId(), entry.orgId, entry.contactId, entry.kind, entry.occurredAt ?? new Date(), entry.actorId, JSON.stringify(entry.data ?? {})],
    );
  }

  /** `GET /v1/contacts/:id/timeline`: newest first, keyset-paginated; the contact must be visible to the caller. */
  @RpcHandler(S.timeline)
  async list(envelope: RequestEnvelope<CrmTimelineRequest>): Promise<Page<CrmTimelineEntry>> {
    const contact = await this.contacts.visible(this.dataSource.manager, envelope.actor, 'contacts:read', envelope.data.id);
    const page = pageOrThrow(() =>
      keyset({ sortColumn: 't.occurred_at', idColumn: 't.id', direction: 'DESC', cursor: envelope.data.cursor, limit: envelope.data.limit, firstParam: 2 }),
    );
    const rows = (await this.dataSource.query(
      `SELECT t.id, t.contact_id, t.kind, t.occurred_at, t.actor_id, t.data FROM timeline_entry t
        WHERE t.contact_id = $1 AND ${page.where} ${page.tail}`,
      [contact.id, ...page.params],
    )) as TimelineRow[];
    return toPage(rows, page.limit, (row) => ({ v: row.occurred_at, id: row.id }), (row) => ({
      id: row.id,
      contactId: row.contact_id,
      kind: row.kind,
      occurredAt: row.occurred_at.toISOString(),
      actorId: row.actor_id,
      data: row.data,
    }));
  }
}
