import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Selectable } from 'kysely';
import type { DataSource } from 'typeorm';
import {
  CrmSavedReplyEvent,
  CrmSavedReplySubjects,
  type Actor,
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
import { kyselyFor, toPage, type SqlRunner } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { CrmDb } from '../../../database/crm.db';
import { contactVisibleTo } from '../../contacts-core/contact-access.util';
import { escapeLike } from '../../shared/list-query.util';
import { CrmWorkErrorCode } from '../crm-work.exception';
import { keysetPage, userIdOf } from '../work-access.util';
import { placeholdersOf, renderTemplate } from './reply-template.util';

/** A row of `saved_reply` (declared by the migrations: `crm.db.ts`). */
type StoredSavedReply = Selectable<CrmDb['saved_reply']>;
/** Saved replies are tools for working contacts: the permission to change contacts is needed (no catalogue entry of their own yet). */
const PERMISSION = 'contacts:write' as const;

function toView(row: StoredSavedReply): CrmSavedReplyView {
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

function eventData(row: StoredSavedReply): CrmSavedReplyEventData {
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
      const row = await kyselyFor<CrmDb>(manager)
        .insertInto('saved_reply')
        .values({
          id: newId(),
          org_id: actor.orgId,
          owner_id: ownerId,
          name: data.name.trim(),
          channel: data.channel ?? 'any',
          subject: data.subject ?? null,
          body: data.body,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
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
    let select = kyselyFor<CrmDb>(this.dataSource)
      .selectFrom('saved_reply')
      .selectAll()
      .where('org_id', '=', actor!.orgId)
      .where('owner_id', '=', userIdOf(actor));
    if (data.q) {
      const pattern = `%${escapeLike(data.q.trim())}%`;
      select = select.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('body', 'ilike', pattern)]));
    }
    if (data.channel) select = select.where('channel', '=', data.channel);
    const page = keysetPage(data.cursor, data.limit);
    const after = page.after;
    if (after) select = select.where((eb) => eb(eb.refTuple(eb.fn('lower', ['name']), 'id'), '>', eb.tuple(after.v, after.id)));
    const rows = await select
      .orderBy((eb) => eb.fn('lower', ['name']), 'asc')
      .orderBy('id', 'asc')
      .limit(page.limit + 1)
      .execute();
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
      const row = await kyselyFor<CrmDb>(manager)
        .updateTable('saved_reply')
        .set({
          name,
          channel: data.channel ?? before.channel,
          subject: data.subject !== undefined ? data.subject : before.subject,
          body: data.body ?? before.body,
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', before.id)
        .returningAll()
        .executeTakeFirstOrThrow();
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
      await kyselyFor<CrmDb>(unit.manager).deleteFrom('saved_reply').where('id', '=', before.id).execute();
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
    const user = actor.userId
      ? await kyselyFor<CrmDb>(this.dataSource)
          .selectFrom('org_user')
          .select(['name', 'email'])
          .where('user_id', '=', actor.userId)
          .where('org_id', '=', actor.orgId)
          .executeTakeFirst()
      : undefined;
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
    const contact = await kyselyFor<CrmDb>(this.dataSource)
      .selectFrom('contact as c')
      .select([
        'c.first_name',
        'c.last_name',
        'c.full_name',
        sql<string | null>`c.emails[1]`.as('email'),
        sql<string | null>`c.phones[1]`.as('phone'),
      ])
      .where('c.id', '=', contactId)
      .where('c.org_id', '=', actor.orgId)
      .where('c.deleted_at', 'is', null)
      .where(contactVisibleTo(actor, 'contacts:read'))
      .executeTakeFirst();
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
  private async owned(runner: SqlRunner, actor: Actor | null, id: string, lock: boolean): Promise<StoredSavedReply> {
    requireScope(actor, PERMISSION);
    let select = kyselyFor<CrmDb>(runner)
      .selectFrom('saved_reply')
      .selectAll()
      .where('id', '=', id)
      .where('org_id', '=', actor!.orgId)
      .where('owner_id', '=', userIdOf(actor));
    if (lock) select = select.forUpdate();
    const row = await select.executeTakeFirst();
    if (!row) throw notFound();
    return row;
  }

  private async assertNameFree(runner: SqlRunner, ownerId: string, name: string): Promise<void> {
    const taken = await kyselyFor<CrmDb>(runner)
      .selectFrom('saved_reply')
      .select('id')
      .where('owner_id', '=', ownerId)
      .where((eb) => eb(eb.fn('lower', ['name']), '=', eb.fn('lower', [eb.val(name.trim())])))
      .executeTakeFirst();
    if (taken) {
      throw new DomainException('conflict', CrmWorkErrorCode.SavedReplyNameTaken, 'You have a saved reply with this name', [
        { field: 'name', message: 'is already used by another of your saved replies', code: CrmWorkErrorCode.SavedReplyNameTaken },
      ]);
    }
  }
}
