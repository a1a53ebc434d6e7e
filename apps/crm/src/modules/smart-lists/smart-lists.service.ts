import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
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
import { queryRows } from '@keyhouse/platform/database';
import { DomainException, RpcHandler } from '@keyhouse/platform/messaging';
import { isUuid, newId } from '@keyhouse/util';
import { ContactsService } from '../contacts/contacts.service';

interface SmartListRow {
  id: string;
  owner_id: string;
  name: string;
  filters: CrmSmartListView['filters'];
  team_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const toView = (row: SmartListRow): CrmSmartListView => ({
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

  /** `POST /v1/smart-lists` (`contacts:read`): a personal list, or shared with a team of the caller (`teamId`); tag names in the filters are stored as tag ids. */
  @RpcHandler(S.smartListCreate)
  async create(envelope: RequestEnvelope<CrmSmartListInput>): Promise<CrmSmartListView> {
    const actor = envelope.actor!;
    requireScope(actor, 'contacts:read');
    this.assertTeam(actor, envelope.data.teamId);
    const filters = await this.storedFilters(actor, envelope.data.filters ?? {});
    const [row] = (await this.dataSource.query(
      `INSERT INTO smart_list (id, org_id, owner_id, name, filters, team_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [newId(), actor.orgId, actor.userId, envelope.data.name.trim(), JSON.stringify(filters), envelope.data.teamId ?? null],
    )) as SmartListRow[];
    return (await this.views([row]))[0];
  }

  /** `GET /v1/smart-lists`: the lists the caller sees. */
  @RpcHandler(S.smartListList)
  async list(envelope: RequestEnvelope): Promise<CrmSmartListView[]> {
    const actor = envelope.actor!;
    requireScope(actor, 'contacts:read');
    const rows = (await this.dataSource.query(
      `SELECT * FROM smart_list WHERE org_id = $1 AND ($2 OR owner_id = $3 OR team_id = ANY($4::uuid[])) ORDER BY created_at, id LIMIT 500`,
      [actor.orgId, scopeOf(actor, 'contacts:read') === 'org', actor.userId ?? null, actor.teamIds ?? []],
    )) as SmartListRow[];
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
    const [updated] = await queryRows<SmartListRow>(
      this.dataSource,
      `UPDATE smart_list SET name = $2, filters = $3, team_id = $4, updated_at = now() WHERE id = $1 RETURNING *`,
      [
        row.id,
        envelope.data.name?.trim() ?? row.name,
        JSON.stringify(filters),
        envelope.data.teamId !== undefined ? envelope.data.teamId : row.team_id,
      ],
    );
    return (await this.views([updated]))[0];
  }

  @RpcHandler(S.smartListDelete)
  async delete(envelope: RequestEnvelope<{ id: string }>): Promise<void> {
    const row = await this.owned(envelope.actor!, envelope.data.id);
    await this.dataSource.query(`DELETE FROM smart_list WHERE id = $1`, [row.id]);
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
   */
  private async storedFilters(actor: Actor, filters: CrmSmartListFilters): Promise<CrmSmartListFilters> {
    const { tag, ...rest } = filters;
    if (!tag?.length) return rest;
    const rows = (await this.dataSource.query(
      `SELECT id, name FROM tag_definition WHERE org_id = $1 AND (scope = 'org' OR owner_id = $2::uuid) AND lower(name) = ANY($3::text[]) ORDER BY (scope = 'org')`,
      [actor.orgId, actor.userId ?? null, tag.map((name) => name.trim().toLowerCase())],
    )) as Array<{ id: string; name: string }>;
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
  private async views(rows: SmartListRow[]): Promise<CrmSmartListView[]> {
    const ids = [...new Set(rows.flatMap((row) => row.filters.tagIds ?? []))];
    const names = new Map<string, string>();
    if (ids.length > 0) {
      const found = (await this.dataSource.query(`SELECT id, name FROM tag_definition WHERE id = ANY($1::uuid[])`, [ids])) as Array<{
        id: string;
        name: string;
      }>;
      for (const row of found) names.set(row.id, row.name);
    }
    return rows.map((row) => {
      const view = toView(row);
      const { tagIds, ...rest } = row.filters;
      view.filters = tagIds?.length ? { ...rest, tag: tagIds.map((id) => names.get(id)).filter((name): name is string => !!name) } : rest;
      return view;
    });
  }

  private async visible(manager: EntityManager, actor: Actor, id: string): Promise<SmartListRow> {
    requireScope(actor, 'contacts:read');
    const rows = isUuid(id)
      ? ((await manager.query(
          `SELECT * FROM smart_list WHERE org_id = $1 AND id = $2 AND ($3 OR owner_id = $4 OR team_id = ANY($5::uuid[]))`,
          [actor.orgId, id, scopeOf(actor, 'contacts:read') === 'org', actor.userId ?? null, actor.teamIds ?? []],
        )) as SmartListRow[])
      : [];
    if (!rows[0]) throw DomainException.notFound(SMART_LIST_NOT_FOUND, 'Smart list');
    return rows[0];
  }

  private async owned(actor: Actor, id: string): Promise<SmartListRow> {
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
