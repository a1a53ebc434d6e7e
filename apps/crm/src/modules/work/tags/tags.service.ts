import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  CrmTagEvent,
  CrmTagSubjects,
  type Actor,
  type CrmTagCreateRequest,
  type CrmTagEventData,
  type CrmTagListRequest,
  type CrmTagScope,
  type CrmTagUpdateRequest,
  type CrmTagView,
  type Page,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { keyset, queryRows, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { escapeLike, pageOrThrow } from '../../shared/list-query.util';
import { CrmWorkErrorCode } from '../crm-work.exception';
import { changesBetween, userIdOf } from '../work-access.util';

interface TagRow {
  id: string;
  org_id: string;
  name: string;
  colour: string;
  scope: CrmTagScope;
  owner_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `g.id, g.org_id, g.name, g.colour, g.scope, g.owner_id, g.created_at, g.updated_at`;
const RETURNING = COLUMNS.replace(/\bg\./g, '');

function toView(row: TagRow): CrmTagView {
  return {
    id: row.id,
    name: row.name,
    colour: row.colour,
    scope: row.scope,
    ownerId: row.owner_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function eventData(row: TagRow, changes?: CrmTagEventData['changes'], contactCount?: number): CrmTagEventData {
  return {
    tagId: row.id,
    name: row.name,
    colour: row.colour,
    scope: row.scope,
    ownerId: row.owner_id,
    ...(changes ? { changes } : {}),
    ...(contactCount !== undefined ? { contactCount } : {}),
  };
}

/** Rewrites `contact.tags` (names) from `contact.tag_ids` for the contacts carrying `tagId` (after a rename). */
const RENAME_ON_CONTACTS = `UPDATE contact c SET tags = ARRAY(
    SELECT d.name FROM unnest(c.tag_ids) WITH ORDINALITY AS u(id, n) JOIN tag_definition d ON d.id = u.id ORDER BY u.n)
  WHERE c.org_id = $2 AND c.tag_ids @> ARRAY[$1::uuid]`;
/** Takes `tagId` off every contact carrying it, names in step (after the definition is deleted). */
const REMOVE_FROM_CONTACTS = `UPDATE contact c SET tag_ids = array_remove(c.tag_ids, $1::uuid), tags = ARRAY(
    SELECT d.name FROM unnest(array_remove(c.tag_ids, $1::uuid)) WITH ORDINALITY AS u(id, n) JOIN tag_definition d ON d.id = u.id ORDER BY u.n)
  WHERE c.org_id = $2 AND c.tag_ids @> ARRAY[$1::uuid]`;
/** Takes `tagId` out of smart lists' stored filters. */
const REMOVE_FROM_SMART_LISTS = `UPDATE smart_list SET filters = jsonb_set(filters, '{tagIds}', (filters->'tagIds') - $1::text), updated_at = now()
  WHERE org_id = $2 AND jsonb_typeof(filters->'tagIds') = 'array' AND filters->'tagIds' ? $1::text`;

/** `#RGB` or `#RRGGBB` → `#rrggbb`. The gateway has checked the shape. */
export function normalizeColour(colour: string): string {
  const hex = colour.trim().toLowerCase().replace(/^#/, '');
  return `#${hex.length === 3 ? [...hex].map((digit) => digit + digit).join('') : hex}`;
}

const notFound = () => DomainException.notFound(CrmWorkErrorCode.TagNotFound, 'Tag');

/**
 * Tag definitions: names with a colour that contacts (and later other resources) carry. Reading
 * needs `contacts:read`; personal tags need `contacts:write` and belong to their creator (others,
 * admins included, get 404); organization tags need `contacts:write` at org scope to create,
 * change or delete. Visible to a user: the organization's tags and their own personal ones.
 * Contacts carry tag definitions (docs/adr/0022): a rename renames the tag on every contact
 * carrying it, a delete takes it off them and out of smart lists, in the same transaction; the
 * tag's own event says how many contacts carried it (no `crm.contact.updated` per contact).
 */
@Injectable()
export class TagsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /**
   * `crm.tags.create`: defines a personal tag (default) or an organization tag (colour to
   * `#rrggbb`) and emits `crm.tag.created`. Answers the `CrmTagView`. 403 without `contacts:write`
   * (at org scope for an `org` tag), `USER_ACTOR_REQUIRED` for a system caller; 409 `TAG_NAME_TAKEN`.
   */
  @RpcHandler(CrmTagSubjects.create)
  async create(envelope: RequestEnvelope<CrmTagCreateRequest>): Promise<CrmTagView> {
    const actor = envelope.actor!;
    const data = envelope.data;
    const scope = data.scope ?? 'personal';
    requireScope(actor, 'contacts:write', scope === 'org' ? 'org' : 'own');
    const userId = userIdOf(actor);
    const ownerId = scope === 'personal' ? userId : null;
    const row = await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      await this.assertNameFree(manager, actor.orgId, scope, ownerId, data.name);
      const [row] = await queryRows<TagRow>(
        manager,
        `INSERT INTO tag_definition (id, org_id, name, colour, scope, owner_id, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${RETURNING}`,
        [newId(), actor.orgId, data.name.trim(), normalizeColour(data.colour), scope, ownerId, userId],
      );
      await unit.emit(CrmTagEvent.tagCreated, row.id, actor.orgId, eventData(row));
      return row;
    });
    return toView(row);
  }

  /**
   * `crm.tags.list`: a page of the organization's tags and the caller's personal ones, by name
   * (keyset cursor). 400 for a bad cursor; 403 without `contacts:read`.
   */
  @RpcHandler(CrmTagSubjects.list)
  async list(envelope: RequestEnvelope<CrmTagListRequest>): Promise<Page<CrmTagView>> {
    const actor = envelope.actor;
    requireScope(actor, 'contacts:read');
    const data = envelope.data;
    const params: unknown[] = [actor!.orgId, actor!.userId ?? null];
    const where = ['g.org_id = $1', `(g.scope = 'org' OR g.owner_id = $2::uuid)`];
    if (data.scope) {
      params.push(data.scope);
      where.push(`g.scope = $${params.length}`);
    }
    if (data.q) {
      params.push(`%${escapeLike(data.q.trim())}%`);
      where.push(`g.name ILIKE $${params.length}`);
    }
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: 'lower(g.name)',
        idColumn: 'g.id',
        direction: 'ASC',
        cursor: data.cursor,
        limit: data.limit,
        firstParam: params.length + 1,
      }),
    );
    const rows = await queryRows<TagRow>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM tag_definition g WHERE ${where.join(' AND ')} AND ${page.where} ${page.tail}`,
      [...params, ...page.params],
    );
    return toPage(rows, page.limit, (row) => ({ v: row.name.toLowerCase(), id: row.id }), toView);
  }

  /**
   * `crm.tags.get`: an organization tag or one of the caller's personal ones (404 `TAG_NOT_FOUND`
   * otherwise; 403 without `contacts:read`).
   */
  @RpcHandler(CrmTagSubjects.get)
  async get(envelope: RequestEnvelope<{ id: string }>): Promise<CrmTagView> {
    requireScope(envelope.actor, 'contacts:read');
    return toView(await this.visible(this.dataSource.manager, envelope.actor!, envelope.data.id, false));
  }

  /**
   * `crm.tags.update`: renames (every contact carrying the tag follows, in the same transaction)
   * or recolours a tag and emits `crm.tag.updated` with the changes and how many contacts carry
   * it; nothing when nothing changed. Answers the `CrmTagView`. 404
   * `TAG_NOT_FOUND`; 403 for an organization tag without `contacts:write` at org scope; 409
   * `TAG_NAME_TAKEN`.
   */
  @RpcHandler(CrmTagSubjects.update)
  async update(envelope: RequestEnvelope<CrmTagUpdateRequest>): Promise<CrmTagView> {
    const actor = envelope.actor!;
    requireScope(actor, 'contacts:write');
    const data = envelope.data;
    const row = await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const before = await this.writable(manager, actor, data.id);
      const name = data.name?.trim() ?? before.name;
      const colour = data.colour ? normalizeColour(data.colour) : before.colour;
      if (name.toLowerCase() !== before.name.toLowerCase())
        await this.assertNameFree(manager, actor.orgId, before.scope, before.owner_id, name);
      const changes = changesBetween({ name: before.name, colour: before.colour }, { name, colour });
      if (Object.keys(changes).length === 0) return before;
      const [row] = await queryRows<TagRow>(
        manager,
        `UPDATE tag_definition SET name = $2, colour = $3, updated_at = now() WHERE id = $1 RETURNING ${RETURNING}`,
        [before.id, name, colour],
      );
      const contactCount = await this.countAffected(manager, changes.name ? RENAME_ON_CONTACTS : null, row.id, actor.orgId);
      await unit.emit(CrmTagEvent.tagUpdated, row.id, actor.orgId, eventData(row, changes, contactCount));
      return row;
    });
    return toView(row);
  }

  /**
   * `crm.tags.delete`: deletes a tag definition, takes it off every contact and out of smart
   * lists in the same transaction, and emits `crm.tag.deleted` with how many contacts carried it.
   * No content. 404 `TAG_NOT_FOUND`; 403 as `update`.
   */
  @RpcHandler(CrmTagSubjects.delete)
  async delete(envelope: RequestEnvelope<{ id: string }>): Promise<void> {
    const actor = envelope.actor!;
    requireScope(actor, 'contacts:write');
    await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const before = await this.writable(manager, actor, envelope.data.id);
      await manager.query(`DELETE FROM tag_definition WHERE id = $1`, [before.id]);
      const contactCount = await this.countAffected(manager, REMOVE_FROM_CONTACTS, before.id, actor.orgId);
      await manager.query(REMOVE_FROM_SMART_LISTS, [before.id, actor.orgId]);
      await unit.emit(CrmTagEvent.tagDeleted, before.id, actor.orgId, eventData(before, undefined, contactCount));
    });
  }

  /**
   * Colours of the tag names a user sees (organization tags, then their personal ones winning on
   * a shared name), for other modules that show tags (e.g. contacts). Names compare case-insensitively.
   */
  async coloursFor(orgId: string, userId: string | null, names: string[]): Promise<Record<string, string>> {
    if (names.length === 0) return {};
    const rows = (await this.dataSource.query(
      `SELECT name, colour FROM tag_definition WHERE org_id = $1 AND (scope = 'org' OR owner_id = $2::uuid) AND lower(name) = ANY($3::text[])
        ORDER BY (scope = 'personal')`,
      [orgId, userId, names.map((name) => name.toLowerCase())],
    )) as Array<{ name: string; colour: string }>;
    const colours: Record<string, string> = {};
    for (const row of rows) for (const name of names) if (name.toLowerCase() === row.name.toLowerCase()) colours[name] = row.colour;
    return colours;
  }

  /** Runs a contact rewrite for `tagId` (or, without one, only counts the contacts carrying it). */
  private async countAffected(manager: EntityManager, rewrite: string | null, tagId: string, orgId: string): Promise<number> {
    if (rewrite) {
      const [, affected] = (await manager.query(rewrite, [tagId, orgId])) as [unknown, number];
      return affected;
    }
    const [{ count }] = (await manager.query(
      `SELECT count(*)::int AS count FROM contact WHERE org_id = $2 AND tag_ids @> ARRAY[$1::uuid]`,
      [tagId, orgId],
    )) as Array<{
      count: number;
    }>;
    return count;
  }

  private async visible(manager: EntityManager, actor: Actor, id: string, lock: boolean): Promise<TagRow> {
    const [row] = await queryRows<TagRow>(
      manager,
      `SELECT ${COLUMNS} FROM tag_definition g WHERE g.id = $1 AND g.org_id = $2 AND (g.scope = 'org' OR g.owner_id = $3::uuid) ${lock ? 'FOR UPDATE' : ''}`,
      [id, actor.orgId, actor.userId ?? null],
    );
    if (!row) throw notFound();
    return row;
  }

  /** A tag the caller may change: their personal one, or an organization tag with `contacts:write` at org scope (403 otherwise). */
  private async writable(manager: EntityManager, actor: Actor, id: string): Promise<TagRow> {
    const row = await this.visible(manager, actor, id, true);
    if (row.scope === 'org') requireScope(actor, 'contacts:write', 'org');
    return row;
  }

  private async assertNameFree(
    manager: EntityManager,
    orgId: string,
    scope: CrmTagScope,
    ownerId: string | null,
    name: string,
  ): Promise<void> {
    const rows = (await manager.query(
      scope === 'org'
        ? `SELECT 1 FROM tag_definition WHERE org_id = $1 AND scope = 'org' AND lower(name) = lower($2)`
        : `SELECT 1 FROM tag_definition WHERE org_id = $1 AND scope = 'personal' AND owner_id = $3 AND lower(name) = lower($2)`,
      scope === 'org' ? [orgId, name.trim()] : [orgId, name.trim(), ownerId],
    )) as unknown[];
    if (rows.length > 0) {
      throw new DomainException('conflict', CrmWorkErrorCode.TagNameTaken, 'A tag with this name exists', [
        {
          field: 'name',
          message: `is already used by ${scope === 'org' ? 'an organization' : 'another of your'} tag${scope === 'org' ? '' : 's'}`,
          code: CrmWorkErrorCode.TagNameTaken,
        },
      ]);
    }
  }
}
