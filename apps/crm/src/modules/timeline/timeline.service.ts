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
import { kyselyFor, toPage } from '@keyhouse/platform/database';
import { RpcHandler } from '@keyhouse/platform/messaging';
import type { CrmDb } from '../../database/crm.db';
import { ContactLookup } from '../contacts-core/contact-lookup.service';
import { keysetAfter, keysetStart } from '../shared/list-query.util';

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
    const { limit, after } = keysetStart(envelope.data.cursor, envelope.data.limit);
    let query = kyselyFor<CrmDb>(this.dataSource)
      .selectFrom('timeline_entry as t')
      .select(['t.id', 't.contact_id', 't.kind', 't.occurred_at', 't.actor_id', 't.data'])
      .where('t.contact_id', '=', contact.id);
    if (after) query = query.where(({ ref }) => keysetAfter(ref('t.occurred_at'), ref('t.id'), 'desc', after));
    const rows = await query
      .orderBy('t.occurred_at', 'desc')
      .orderBy('t.id', 'desc')
      .limit(limit + 1)
      .execute();
    return toPage(
      rows,
      limit,
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
