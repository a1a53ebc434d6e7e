import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  CrmSavedReplyEvent,
  CrmSavedReplySubjects,
  type Actor,
  type CrmSavedReplyChannel,
  type CrmSavedReplyCreateRequest,
  type CrmSavedReplyEventData,
  type CrmSavedReplyListRequest,
  type CrmSavedReplyRendered,
  type CrmSavedReplyRenderRequest,
  type CrmSavedReplyUpdateRequest,
  type CrmSavedReplyView,
  type Page,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { keyset, queryRows, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { contactVisibility } from '../../contacts-core/contact-access.util';
import { escapeLike, pageOrThrow } from '../../shared/list-query.util';
import { CrmWorkErrorCode } from '../crm-work.exception';
import { userIdOf } from '../work-access.util';
import { placeholdersOf, renderTemplate } from './reply-template.util';

interface SavedReplyRow {
  id: string;
  org_id: string;
  owner_id: string;
  name: string;
  channel: CrmSavedReplyChannel;
  subject: string | null;
  body: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `r.id, r.org_id, r.owner_id, r.name, r.channel, r.subject, r.body, r.created_at, r.updated_at`;
const RETURNING = COLUMNS.replace(/\br\./g, '');
/** Saved replies are tools for working contacts: the permission to change contacts is needed (no catalogue entry of their own yet). */
const PERMISSION = 'contacts:write' as const;

function toView(row: SavedReplyRow): CrmSavedReplyView {
  const { known, unknown } = placeholdersOf(row.subject, row.body);
  return {
    id: row.id,
    name: row.name,
    channel: row.channel,
    subject: row.subject,
    body: row.body,
    placeholders: [...known, ...unknown],
    unknownPlaceholders: unknown,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function eventData(row: SavedReplyRow): CrmSavedReplyEventData {
  return { savedReplyId: row.id, ownerId: row.owner_id, name: row.name, channel: row.channel };
}

const notFound = () => DomainException.notFound(CrmWorkErrorCode.SavedReplyNotFound, 'Saved reply');

/**
 * Saved replies (canned responses) of one user: only their owner sees, changes or renders them,
 * whatever the role (another user's reply, or another organization's, answers 404). Names are
 * unique per owner (case-insensitive, 409 `SAVED_REPLY_NAME_TAKEN`). Needs `contacts:write`.
 */
@Injectable()
export class SavedRepliesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /**
   * `crm.saved-replies.create`: creates one of the caller's replies (channel default `any`) and
   * emits `crm.saved_reply.created` (no body text). Answers the `CrmSavedReplyView`. 403 without
   * `contacts:write`, `USER_ACTOR_REQUIRED` for a system caller; 409 `SAVED_REPLY_NAME_TAKEN`.
   */
  @RpcHandler(CrmSavedReplySubjects.create)
  async create(envelope: RequestEnvelope<CrmSavedReplyCreateRequest>): Promise<CrmSavedReplyView> {
    const actor = envelope.actor!;
    requireScope(actor, PERMISSION);
    const ownerId = userIdOf(actor);
    const data = envelope.data;
    const row = await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      await this.assertNameFree(manager, ownerId, data.name);
      const [row] = await queryRows<SavedReplyRow>(
        manager,
        `INSERT INTO saved_reply (id, org_id, owner_id, name, channel, subject, body) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${RETURNING}`,
        [newId(), actor.orgId, ownerId, data.name.trim(), data.channel ?? 'any', data.subject ?? null, data.body],
      );
      await unit.emit(CrmSavedReplyEvent.savedReplyCreated, row.id, actor.orgId, eventData(row));
      return row;
    });
    return toView(row);
  }

  /**
   * `crm.saved-replies.list`: a page of the caller's replies by name (q matches name or body;
   * keyset cursor). 400 for a bad cursor; 403 without `contacts:write` or for a system caller.
   */
  @RpcHandler(CrmSavedReplySubjects.list)
  async list(envelope: RequestEnvelope<CrmSavedReplyListRequest>): Promise<Page<CrmSavedReplyView>> {
    const actor = envelope.actor;
    requireScope(actor, PERMISSION);
    const data = envelope.data;
    const params: unknown[] = [actor!.orgId, userIdOf(actor)];
    const where = ['r.org_id = $1', 'r.owner_id = $2'];
    if (data.q) {
      params.push(`%${escapeLike(data.q.trim())}%`);
      where.push(`(r.name ILIKE $${params.length} OR r.body ILIKE $${params.length})`);
    }
    if (data.channel) {
      params.push(data.channel);
      where.push(`r.channel = $${params.length}`);
    }
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: 'lower(r.name)',
        idColumn: 'r.id',
        direction: 'ASC',
        cursor: data.cursor,
        limit: data.limit,
        firstParam: params.length + 1,
      }),
    );
    const rows = await queryRows<SavedReplyRow>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM saved_reply r WHERE ${where.join(' AND ')} AND ${page.where} ${page.tail}`,
      [...params, ...page.params],
    );
    return toPage(rows, page.limit, (row) => ({ v: row.name.toLowerCase(), id: row.id }), toView);
  }

  /** `crm.saved-replies.get`: one of the caller's replies (404 `SAVED_REPLY_NOT_FOUND` for anyone else's). */
  @RpcHandler(CrmSavedReplySubjects.get)
  async get(envelope: RequestEnvelope<{ id: string }>): Promise<CrmSavedReplyView> {
    return toView(await this.owned(this.dataSource.manager, envelope.actor, envelope.data.id, false));
  }

  /**
   * `crm.saved-replies.update`: changes the given fields of one of the caller's replies and emits
   * `crm.saved_reply.updated`. Answers the `CrmSavedReplyView`. 404 `SAVED_REPLY_NOT_FOUND`;
   * 409 `SAVED_REPLY_NAME_TAKEN`.
   */
  @RpcHandler(CrmSavedReplySubjects.update)
  async update(envelope: RequestEnvelope<CrmSavedReplyUpdateRequest>): Promise<CrmSavedReplyView> {
    const actor = envelope.actor!;
    const data = envelope.data;
    const row = await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const before = await this.owned(manager, actor, data.id, true);
      const name = data.name?.trim() ?? before.name;
      if (name.toLowerCase() !== before.name.toLowerCase()) await this.assertNameFree(manager, before.owner_id, name);
      const [row] = await queryRows<SavedReplyRow>(
        manager,
        `UPDATE saved_reply SET name = $2, channel = $3, subject = $4, body = $5, updated_at = now() WHERE id = $1 RETURNING ${RETURNING}`,
        [
          before.id,
          name,
          data.channel ?? before.channel,
          data.subject !== undefined ? data.subject : before.subject,
          data.body ?? before.body,
        ],
      );
      await unit.emit(CrmSavedReplyEvent.savedReplyUpdated, row.id, actor.orgId, eventData(row));
      return row;
    });
    return toView(row);
  }

  /**
   * `crm.saved-replies.delete`: deletes one of the caller's replies and emits
   * `crm.saved_reply.deleted`. No content. 404 `SAVED_REPLY_NOT_FOUND`.
   */
  @RpcHandler(CrmSavedReplySubjects.delete)
  async delete(envelope: RequestEnvelope<{ id: string }>): Promise<void> {
    const actor = envelope.actor!;
    await this.unitOfWork.run(envelope, async (unit) => {
      const before = await this.owned(unit.manager, actor, envelope.data.id, true);
      await unit.manager.query(`DELETE FROM saved_reply WHERE id = $1`, [before.id]);
      await unit.emit(CrmSavedReplyEvent.savedReplyDeleted, before.id, actor.orgId, eventData(before));
    });
  }

  /**
   * `crm.saved-replies.render`: renders one of the caller's replies (404 `SAVED_REPLY_NOT_FOUND`)
   * into a `CrmSavedReplyRendered`: values given win; `agent.*` defaults to the caller (identity read model) and
   * `contact.*` to `contactId` when given (400 `UNKNOWN_CONTACT` unless the caller may read it).
   * Values must be strings of at most 2,000 characters (400 `INVALID_PLACEHOLDER_VALUE`).
   */
  @RpcHandler(CrmSavedReplySubjects.render)
  async render(envelope: RequestEnvelope<CrmSavedReplyRenderRequest>): Promise<CrmSavedReplyRendered> {
    const actor = envelope.actor!;
    const data = envelope.data;
    const row = await this.owned(this.dataSource.manager, actor, data.id, false);
    const given: Record<string, string> = {};
    for (const [key, value] of Object.entries(data.values ?? {})) {
      if (typeof value !== 'string' || value.length > 2_000) {
        throw new DomainException('validation', CrmWorkErrorCode.InvalidPlaceholderValue, 'Invalid placeholder value', [
          { field: `values.${key}`, message: 'must be text of at most 2000 characters', code: CrmWorkErrorCode.InvalidPlaceholderValue },
        ]);
      }
      given[key] = value;
    }
    const values: Record<string, string> = {
      ...(await this.agentValues(actor)),
      ...(data.contactId ? await this.contactValues(actor, data.contactId) : {}),
      ...given,
    };
    const subject = row.subject === null ? null : renderTemplate(row.subject, values);
    const body = renderTemplate(row.body, values);
    return {
      id: row.id,
      subject: subject?.text ?? null,
      body: body.text,
      unknownPlaceholders: placeholdersOf(row.subject, row.body).unknown,
      missingValues: [...new Set([...(subject?.missing ?? []), ...body.missing])],
    };
  }

  private async agentValues(actor: Actor): Promise<Record<string, string>> {
    const [user] = (await this.dataSource.query(`SELECT name, email FROM org_user WHERE user_id = $1 AND org_id = $2`, [
      actor.userId,
      actor.orgId,
    ])) as Array<{
      name: string;
      email: string;
    }>;
    if (!user) return {};
    const values: Record<string, string> = {};
    if (user.name) {
      values['agent.name'] = user.name;
      values['agent.firstName'] = user.name.split(/\s+/)[0];
    }
    if (user.email) values['agent.email'] = user.email;
    return values;
  }

  private async contactValues(actor: Actor, contactId: string): Promise<Record<string, string>> {
    const params: unknown[] = [contactId, actor.orgId];
    const visibility = contactVisibility(actor, 'contacts:read', params);
    const [contact] = (await this.dataSource.query(
      `SELECT c.first_name, c.last_name, c.full_name, c.emails[1] AS email, c.phones[1] AS phone
         FROM contact c WHERE c.id = $1 AND c.org_id = $2 AND c.deleted_at IS NULL AND ${visibility}`,
      params,
    )) as Array<{ first_name: string | null; last_name: string | null; full_name: string; email: string | null; phone: string | null }>;
    if (!contact) {
      throw new DomainException('validation', CrmWorkErrorCode.UnknownContact, 'Unknown contact', [
        { field: 'contactId', message: 'is not a contact you can see', code: CrmWorkErrorCode.UnknownContact },
      ]);
    }
    const values: Record<string, string> = {};
    const set = (key: string, value: string | null) => {
      if (value) values[key] = value;
    };
    set('contact.firstName', contact.first_name);
    set('contact.lastName', contact.last_name);
    set('contact.fullName', contact.full_name);
    set('contact.email', contact.email);
    set('contact.phone', contact.phone);
    return values;
  }

  /** The caller's own reply, else 404. */
  private async owned(manager: EntityManager, actor: Actor | null, id: string, lock: boolean): Promise<SavedReplyRow> {
    requireScope(actor, PERMISSION);
    const [row] = await queryRows<SavedReplyRow>(
      manager,
      `SELECT ${COLUMNS} FROM saved_reply r WHERE r.id = $1 AND r.org_id = $2 AND r.owner_id = $3 ${lock ? 'FOR UPDATE' : ''}`,
      [id, actor!.orgId, userIdOf(actor)],
    );
    if (!row) throw notFound();
    return row;
  }

  private async assertNameFree(manager: EntityManager, ownerId: string, name: string): Promise<void> {
    const rows = (await manager.query(`SELECT 1 FROM saved_reply WHERE owner_id = $1 AND lower(name) = lower($2)`, [
      ownerId,
      name.trim(),
    ])) as unknown[];
    if (rows.length > 0) {
      throw new DomainException('conflict', CrmWorkErrorCode.SavedReplyNameTaken, 'You have a saved reply with this name', [
        { field: 'name', message: 'is already used by another of your saved replies', code: CrmWorkErrorCode.SavedReplyNameTaken },
      ]);
    }
  }
}
