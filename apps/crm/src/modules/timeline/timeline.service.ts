import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  CrmContactSubjects as S,
  type CrmTimelineEntry,
  type CrmTimelineRequest,
  type Page,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { keyset, toPage } from '@keyhouse/platform/database';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { ContactLookup } from '../contacts-core/contact-lookup.service';
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
 * notes, form submissions, lead events, merges, activity from other services), newest first.
 * Entries are written by `TimelineRecorder` (contacts core) in the same transaction as the change
 * they describe.
 */
@Injectable()
export class TimelineService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly contacts: ContactLookup,
  ) {}

  /** `GET /v1/contacts/:id/timeline`: newest first, keyset-paginated; the contact must be visible to the caller. */
  @RpcHandler(S.timeline)
  async list(envelope: RequestEnvelope<CrmTimelineRequest>): Promise<Page<CrmTimelineEntry>> {
    const contact = await this.contacts.visible(this.dataSource.manager, envelope.actor, 'contacts:read', envelope.data.id);
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: 't.occurred_at',
        idColumn: 't.id',
        direction: 'DESC',
        cursor: envelope.data.cursor,
        limit: envelope.data.limit,
        firstParam: 2,
      }),
    );
    const rows = (await this.dataSource.query(
      `SELECT t.id, t.contact_id, t.kind, t.occurred_at, t.actor_id, t.data FROM timeline_entry t
        WHERE t.contact_id = $1 AND ${page.where} ${page.tail}`,
      [contact.id, ...page.params],
    )) as TimelineRow[];
    return toPage(
      rows,
      page.limit,
      (row) => ({ v: row.occurred_at, id: row.id }),
      (row) => ({
        id: row.id,
        contactId: row.contact_id,
        kind: row.kind,
        occurredAt: row.occurred_at.toISOString(),
        actorId: row.actor_id,
        data: row.data,
      }),
    );
  }
}
