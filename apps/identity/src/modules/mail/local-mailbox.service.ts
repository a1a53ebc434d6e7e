import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  IdentityOrganizationSubjects,
  type LocalMailboxListRequest,
  type LocalMailView,
  type Page,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { kyselyFor, toPage } from '@keyhouse/platform/database';
import { RpcHandler } from '@keyhouse/platform/messaging';
import type { IdentityDb } from '../../database/identity.db';
import { createdAtPage } from '../list-query.util';

/** Reads what the local email adapter recorded for the caller's organization, newest first. */
@Injectable()
export class LocalMailboxService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Messages to the caller's organization (optionally to one address), newest first; `mailbox:read` at org scope. */
  @RpcHandler(IdentityOrganizationSubjects.localMailboxList)
  async list(envelope: RequestEnvelope<LocalMailboxListRequest>): Promise<Page<LocalMailView>> {
    const actor = envelope.actor!;
    requireScope(actor, 'mailbox:read', 'org');
    let query = kyselyFor<IdentityDb>(this.dataSource)
      .selectFrom('local_mail')
      .select(['id', 'to_address', 'subject', 'text', 'template', 'variables', 'created_at'])
      .where('org_id', '=', actor.orgId);
    if (envelope.data.to) query = query.where('to_address', '=', envelope.data.to);
    const page = createdAtPage(envelope.data.cursor, envelope.data.limit);
    if (page.after) {
      const after = page.after;
      query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.id)));
    }
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.limit + 1)
      .execute();
    return toPage(
      rows,
      page.limit,
      (row) => ({ v: row.created_at, id: row.id }),
      (row) => ({
        id: row.id,
        to: row.to_address,
        subject: row.subject,
        text: row.text,
        template: row.template,
        variables: row.variables,
        createdAt: row.created_at.toISOString(),
      }),
    );
  }
}
