import { sql } from 'kysely';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  IdentityOrganizationSubjects,
  type LocalMailboxListRequest,
  type LocalMailSecretsRequest,
  type LocalMailSecretsResponse,
  type LocalMailView,
  type Page,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { keysetPage, kyselyFor, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler } from '@keyhouse/platform/messaging';
import { IDENTITY_CONFIG, type IdentityConfig } from '../../config/identity.config';
import type { IdentityDb } from '../../database/identity.db';

/** Messages the secrets sink answers at most, newest first. */
const SECRETS_LIMIT = 20;

/**
 * Reads what the local email adapter recorded: for the caller's organization with secrets
 * redacted (`mailbox:read`), and, in development and tests only, the secrets of the messages to
 * one address for a system caller (no gateway route reaches it).
 */
@Injectable()
export class LocalMailboxService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(IDENTITY_CONFIG) private readonly config: Pick<IdentityConfig, 'IDENTITY_LOCAL_MAILBOX_SECRETS'>,
  ) {}

  /**
   * Messages to the caller's organization (optionally to one address), newest first, their
   * tokens and links reading `[redacted]`; `mailbox:read` at org scope.
   */
  @RpcHandler(IdentityOrganizationSubjects.localMailboxList)
  async list(envelope: RequestEnvelope<LocalMailboxListRequest>): Promise<Page<LocalMailView>> {
    const actor = envelope.actor!;
    requireScope(actor, 'mailbox:read', 'org');
    let query = kyselyFor<IdentityDb>(this.dataSource)
      .selectFrom('local_mail')
      .select(['id', 'to_address', 'subject', 'text', 'template', 'variables', 'created_at'])
      .where('org_id', '=', actor.orgId);
    if (envelope.data.to) query = query.where('to_address', '=', envelope.data.to);
    const page = keysetPage(
      query,
      { sort: sql.ref('created_at'), id: sql.ref('id'), direction: 'desc' },
      { cursor: envelope.data.cursor, limit: envelope.data.limit },
    );
    const rows = await page.query.execute();
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

  /**
   * The secrets (`{ token, link }`) of the messages recorded to `to` (optionally of one template),
   * newest first, at most 20: the development sink that replaces reading tokens in the mailbox.
   *
   * @throws DomainException 403 `FORBIDDEN` for any actor (only a system call over NATS may ask);
   *   404 `LOCAL_MAILBOX_SECRETS_OFF` when identity keeps no secrets (`IDENTITY_LOCAL_MAILBOX_SECRETS`, never in production).
   */
  @RpcHandler(IdentityOrganizationSubjects.localMailboxSecrets)
  async secrets(envelope: RequestEnvelope<LocalMailSecretsRequest>): Promise<LocalMailSecretsResponse> {
    if (envelope.actor) throw DomainException.forbidden();
    if (!this.config.IDENTITY_LOCAL_MAILBOX_SECRETS) {
      throw new DomainException('not_found', 'LOCAL_MAILBOX_SECRETS_OFF', 'This service keeps no mail secrets');
    }
    let query = kyselyFor<IdentityDb>(this.dataSource)
      .selectFrom('local_mail')
      .select(['id', 'template', 'secrets', 'created_at'])
      .where('to_address', '=', envelope.data.to)
      .where('secrets', 'is not', null);
    if (envelope.data.template) query = query.where('template', '=', envelope.data.template);
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(SECRETS_LIMIT).execute();
    return {
      items: rows.map((row) => ({
        id: row.id,
        template: row.template,
        secrets: row.secrets ?? {},
        createdAt: row.created_at.toISOString(),
      })),
    };
  }
}
