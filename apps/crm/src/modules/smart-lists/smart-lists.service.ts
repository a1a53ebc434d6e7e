import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Selectable } from 'kysely';
import type { DataSource } from 'typeorm';
import {
  CrmContactSubjects as S,
  type Actor,
  type CrmContactView,
  type CrmSmartListContactsRequest,
  type CrmSmartListFilters,
  type FieldError,
  type CrmSmartListInput,
  type CrmSmartListUpdateRequest,
  type CrmSmartListView,
  type Page,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope, scopeOf } from '@keyhouse/platform/auth';
import { kyselyFor, type SqlRunner } from '@keyhouse/platform/database';
import { DomainException, RpcHandler } from '@keyhouse/platform/messaging';
import { isUuid, newId } from '@keyhouse/util';
import type { CrmDb } from '../../database/crm.db';
import { ContactsService } from '../contacts/contacts.service';

/** A row of `smart_list` (declared by the migrations: `crm.db.ts`). */
type StoredSmartList = Selectable<CrmDb['smart_list']>;

const toView = (row: StoredSmartList): CrmSmartListView => ({
  id: row.id,
  name: row.name,
  ownerId: row.owner_id,
  teamId: row.team_id,
  filters: row.filters,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

export const SMART_LIST_NOT_FOUND = 'SMART_LIST_NOT_FOUND';

/**
 * Smart lists: saved, named contact filters (the list filters plus tags and custom fields),
 * personal or shared with one of the creator's teams. Evaluating one runs the contact list with
 * its filters under the caller's own scope, so sharing a list never widens what anyone sees.
 * Visible: the owner's lists, lists shared with a team of the caller, and (org scope) all.
 */
@Injectable()
export class SmartListsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly contacts: ContactsService,
  ) {}

  /**
   * `POST /v1/smart-lists` (`contacts:read`): a personal list, or shared with a team of the caller
   * (`teamId`); tag names in the filters are stored as tag ids. A client user (who reads only their
   * own contact) keeps no lists: 403 `FORBIDDEN` (issue 13 item 13).
   */
  @RpcHandler(S.smartListCreate)
  async create(envelope: RequestEnvelope<CrmSmartListInput>): Promise<CrmSmartListView> {
    const actor = envelope.actor!;
    requireScope(actor, 'contacts:read');
    if (actor.role === 'client') throw DomainException.forbidden();
    this.assertTeam(actor, envelope.data.teamId);
    const filters = await this.storedFilters(actor, envelope.data.filters ?? {});
    const row = await kyselyFor<CrmDb>(this.dataSource)
      .insertInto('smart_list')
      .values({
        id: newId(),
        org_id: actor.orgId,
        owner_id: actor.userId!,
        name: envelope.data.name.trim(),
        filters: JSON.stringify(filters),
        team_id: envelope.data.teamId ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return (await this.views([row]))[0];
  }

  /** `GET /v1/smart-lists`: the lists the caller sees. */
  @RpcHandler(S.smartListList)
  async list(envelope: RequestEnvelope): Promise<CrmSmartListView[]> {
    const actor = envelope.actor!;
    requireScope(actor, 'contacts:read');
    const rows = await this.visibleLists(this.dataSource, actor).orderBy('created_at').orderBy('id').limit(500).execute();
    return this.views(rows);
  }

  /** `GET /v1/smart-lists/:id` (404 `SMART_LIST_NOT_FOUND` for a list the caller does not see). */
  @RpcHandler(S.smartListGet)
  async get(envelope: RequestEnvelope<{ id: string }>): Promise<CrmSmartListView> {
    return (await this.views([await this.visible(this.dataSource.manager, envelope.actor!, envelope.data.id)]))[0];
  }

  /** Only the owner (or an admin) changes or deletes a list. */
  @RpcHandler(S.smartListUpdate)
  async update(envelope: RequestEnvelope<CrmSmartListUpdateRequest>): Promise<CrmSmartListView> {
    const actor = envelope.actor!;
    const row = await this.owned(actor, envelope.data.id);
    if (envelope.data.teamId !== undefined) this.assertTeam(actor, envelope.data.teamId);
    const filters = envelope.data.filters ? await this.storedFilters(actor, envelope.data.filters) : row.filters;
    const updated = await kyselyFor<CrmDb>(this.dataSource)
      .updateTable('smart_list')
      .set({
        name: envelope.data.name?.trim() ?? row.name,
        filters: JSON.stringify(filters),
        team_id: envelope.data.teamId !== undefined ? envelope.data.teamId : row.team_id,
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return (await this.views([updated]))[0];
  }

  @RpcHandler(S.smartListDelete)
  async delete(envelope: RequestEnvelope<{ id: string }>): Promise<void> {
    const row = await this.owned(envelope.actor!, envelope.data.id);
    await kyselyFor<CrmDb>(this.dataSource).deleteFrom('smart_list').where('id', '=', row.id).execute();
  }

  /** `GET /v1/smart-lists/:id/contacts`: the list's filters, the caller's scope, cursor pagination. */
  @RpcHandler(S.smartListContacts)
  async contactsOf(envelope: RequestEnvelope<CrmSmartListContactsRequest>): Promise<Page<CrmContactView>> {
    const row = await this.visible(this.dataSource.manager, envelope.actor!, envelope.data.id);
    return this.contacts.list({ ...envelope, data: { ...row.filters, cursor: envelope.data.cursor, limit: envelope.data.limit } });
  }

  /**
   * Filters as stored: tag names become the ids of the tag definitions the caller sees (their
   * personal tag, else the organization's), so a renamed tag keeps matching; an unknown name is
   * 400 `filters.tag[i]` (a smart list never creates tags). Deleting a tag takes it out of lists.
   * Each `filters.source` must be a lead source of the organization, archived ones included (400
   * `UNKNOWN_LEAD_SOURCE`, `filters.source[i]`); a source named by a list cannot be deleted.
   */
  private async storedFilters(actor: Actor, filters: CrmSmartListFilters): Promise<CrmSmartListFilters> {
    await this.contacts.assertSourceFilter(actor.orgId, filters.source, 'filters.source');
    const { tag, ...rest } = filters;
    if (!tag?.length) return rest;
    const rows = await kyselyFor<CrmDb>(this.dataSource)
      .selectFrom('tag_definition')
      .select(['id', 'name'])
      .where('org_id', '=', actor.orgId)
      .where((eb) => eb.or([eb('scope', '=', 'org'), eb('owner_id', '=', actor.userId ?? null)]))
      .where((eb) => eb(eb.fn('lower', ['name']), '=', eb.fn.any(sql<string[]>`${tag.map((name) => name.trim().toLowerCase())}::text[]`)))
      .orderBy(sql`(scope = 'org')`)
      .execute();
    const ids: string[] = [];
    const errors: FieldError[] = [];
    tag.forEach((name, i) => {
      const found = rows.find((row) => row.name.toLowerCase() === name.trim().toLowerCase());
      if (!found) errors.push({ field: `filters.tag[${i}]`, message: `'${name}' is not a tag you can see` });
      else if (!ids.includes(found.id)) ids.push(found.id);
    });
    if (errors.length > 0) throw DomainException.validation(errors);
    return { ...rest, tagIds: [...new Set([...(rest.tagIds ?? []), ...ids])] };
  }

  /** Views with `filters.tag` showing the current names of the stored tag ids (the ids themselves stay internal). */
  private async views(rows: StoredSmartList[]): Promise<CrmSmartListView[]> {
    const ids = [...new Set(rows.flatMap((row) => row.filters.tagIds ?? []))];
    const names = new Map<string, string>();
    if (ids.length > 0) {
      const found = await kyselyFor<CrmDb>(this.dataSource)
        .selectFrom('tag_definition')
        .select(['id', 'name'])
        .where('id', '=', (eb) => eb.fn.any(sql<string[]>`${ids}::uuid[]`))
        .execute();
      for (const row of found) names.set(row.id, row.name);
    }
    return rows.map((row) => {
      const view = toView(row);
      const { tagIds, ...rest } = row.filters;
      view.filters = tagIds?.length ? { ...rest, tag: tagIds.map((id) => names.get(id)).filter((name): name is string => !!name) } : rest;
      return view;
    });
  }

  private async visible(runner: SqlRunner, actor: Actor, id: string): Promise<StoredSmartList> {
    requireScope(actor, 'contacts:read');
    const row = isUuid(id) ? await this.visibleLists(runner, actor).where('id', '=', id).executeTakeFirst() : undefined;
    if (!row) throw DomainException.notFound(SMART_LIST_NOT_FOUND, 'Smart list');
    return row;
  }

  /**
   * The organization's lists that `actor` sees: all at org scope of `contacts:read`, else their
   * own and those shared with one of their teams.
   */
  private visibleLists(runner: SqlRunner, actor: Actor) {
    const all = scopeOf(actor, 'contacts:read') === 'org';
    return kyselyFor<CrmDb>(runner)
      .selectFrom('smart_list')
      .selectAll()
      .where('org_id', '=', actor.orgId)
      .where((eb) =>
        eb.or([
          eb.val(all),
          eb('owner_id', '=', actor.userId ?? null),
          eb('team_id', '=', eb.fn.any(sql<string[]>`${actor.teamIds ?? []}::uuid[]`)),
        ]),
      );
  }

  private async owned(actor: Actor, id: string): Promise<StoredSmartList> {
    const row = await this.visible(this.dataSource.manager, actor, id);
    if (row.owner_id !== actor.userId && scopeOf(actor, 'contacts:write') !== 'org')
      throw DomainException.forbidden('NOT_LIST_OWNER', 'Only the owner changes a smart list');
    return row;
  }

  private assertTeam(actor: Actor, teamId: string | null | undefined): void {
    if (teamId && !(actor.teamIds ?? []).includes(teamId) && scopeOf(actor, 'contacts:read') !== 'org') {
      throw DomainException.validation([{ field: 'teamId', message: 'is not one of your teams' }]);
    }
  }
}
