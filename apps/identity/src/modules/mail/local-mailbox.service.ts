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
import { keyset, toPage } from '@keyhouse/platform/database';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { pageOrThrow } from '../list-query.util';

interface LocalMailRow {
  id: string;
  to_address: string;
  subject: string;
  text: string;
  template: string;
  variables: Record<string, string>;
  created_at: Date;
}

/** Reads what the local email adapter recorded for the caller's organization, newest first. */
@Injectable()
export class LocalMailboxService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Messages to the caller's organization (optionally to one address), newest first; `mailbox:read` at org scope. */
  @RpcHandler(IdentityOrganizationSubjects.localMailboxList)
  async list(envelope: RequestEnvelope<LocalMailboxListRequest>): Promise<Page<LocalMailView>> {
    const actor = envelope.actor!;
    requireScope(actor, 'mailbox:read', 'org');
    const params: unknown[] = [actor.orgId];
    let filter = 'TRUE';
    if (envelope.data.to) {
      params.push(envelope.data.to);
      filter = `to_address = $${params.length}`;
    }
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: 'created_at',
        idColumn: 'id',
        direction: 'DESC',
        cursor: envelope.data.cursor,
        limit: envelope.data.limit,
        firstParam: params.length + 1,
      }),
    );
    const rows = (await this.dataSource.query(
      `SELECT id, to_address, subject, text, template, variables, created_at FROM local_mail
        WHERE org_id = $1 AND ${filter} AND ${page.where} ${page.tail}`,
      [...params, ...page.params],
    )) as LocalMailRow[];
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
