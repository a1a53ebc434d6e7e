import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Expression, type Kysely, type Selectable } from 'kysely';
import type { DataSource } from 'typeorm';
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
import { kyselyFor, toPage, type SqlRunner } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { CrmDb } from '../../../database/crm.db';
import { escapeLike } from '../../shared/list-query.util';
import { CrmWorkErrorCode } from '../crm-work.exception';
import { changesBetween, keysetPage, userIdOf } from '../work-access.util';

/** The columns of `tag_definition` the service reads and returns (all but `created_by`). */
const TAG_COLUMNS = ['id', 'org_id', 'name', 'colour', 'scope', 'owner_id', 'created_at', 'updated_at'] as const;

/** A tag definition as the service reads it (a projection of the generated `tag_definition` row). */
type StoredTag = Pick<Selectable<CrmDb['tag_definition']>, (typeof TAG_COLUMNS)[number]>;

function toView(row: StoredTag): CrmTagView {
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

function eventData(row: StoredTag, changes?: CrmTagEventData['changes'], contactCount?: number): CrmTagEventData {
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

/** The tag names of a contact's `tag_ids` (an array expression), position by position, from the tag definitions. */
const tagNamesOf = (tagIds: Expression<string[]>) =>
  sql<string[]>`ARRAY(SELECT d.name FROM unnest(${tagIds}) WITH ORDINALITY AS u(id, n) JOIN tag_definition d ON d.id = u.id ORDER BY u.n)`;

/** Contacts of `orgId` carrying `tagId`. */
function contactsCarrying(db: Kysely<CrmDb>, orgId: string, tagId: string) {
  return db
    .updateTable('contact as c')
    .where('c.org_id', '=', orgId)
    .where('c.tag_ids', '@>', sql<string[]>`ARRAY[${tagId}::uuid]`);
}

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
      const row = await kyselyFor<CrmDb>(manager)
        .insertInto('tag_definition')
        .values({
          id: newId(),
          org_id: actor.orgId,
          name: data.name.trim(),
          colour: normalizeColour(data.colour),
          scope,
          owner_id: ownerId,
          created_by: userId,
        })
        .returning(TAG_COLUMNS)
        .executeTakeFirstOrThrow();
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
    let select = this.visibleTags(this.dataSource, actor!);
    if (data.scope) select = select.where('scope', '=', data.scope);
    if (data.q) select = select.where('name', 'ilike', `%${escapeLike(data.q.trim())}%`);
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
      const db = kyselyFor<CrmDb>(manager);
      const row = await db
        .updateTable('tag_definition')
        .set({ name, colour, updated_at: sql<Date>`now()` })
        .where('id', '=', before.id)
        .returning(TAG_COLUMNS)
        .executeTakeFirstOrThrow();
      // A rename rewrites the names on every contact carrying the tag; a recolour only counts them.
      const contactCount = changes.name
        ? await this.renameOnContacts(db, row.id, actor.orgId)
        : await this.countCarrying(db, row.id, actor.orgId);
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
      const db = kyselyFor<CrmDb>(manager);
      await db.deleteFrom('tag_definition').where('id', '=', before.id).execute();
      const contactCount = await this.removeFromContacts(db, before.id, actor.orgId);
      await this.removeFromSmartLists(db, before.id, actor.orgId);
      await unit.emit(CrmTagEvent.tagDeleted, before.id, actor.orgId, eventData(before, undefined, contactCount));
    });
  }

  /**
   * Colours of the tag names a user sees (organization tags, then their personal ones winning on
   * a shared name), for other modules that show tags (e.g. contacts). Names compare case-insensitively.
   */
  async coloursFor(orgId: string, userId: string | null, names: string[]): Promise<Record<string, string>> {
    if (names.length === 0) return {};
    const rows = await kyselyFor<CrmDb>(this.dataSource)
      .selectFrom('tag_definition')
      .select(['name', 'colour'])
      .where('org_id', '=', orgId)
      .where((eb) => eb.or([eb('scope', '=', 'org'), eb('owner_id', '=', userId)]))
      .where((eb) => eb(eb.fn('lower', ['name']), '=', eb.fn.any(sql<string[]>`${names.map((name) => name.toLowerCase())}::text[]`)))
      .orderBy(sql`(scope = 'personal')`)
      .execute();
    const colours: Record<string, string> = {};
    for (const row of rows) for (const name of names) if (name.toLowerCase() === row.name.toLowerCase()) colours[name] = row.colour;
    return colours;
  }

  /** Rewrites `contact.tags` (names) from `contact.tag_ids` on the contacts carrying `tagId` (after a rename); answers how many. */
  private async renameOnContacts(db: Kysely<CrmDb>, tagId: string, orgId: string): Promise<number> {
    const result = await contactsCarrying(db, orgId, tagId)
      .set({ tags: tagNamesOf(sql<string[]>`c.tag_ids`) })
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Takes `tagId` off every contact carrying it, names in step (after the definition is deleted); answers how many. */
  private async removeFromContacts(db: Kysely<CrmDb>, tagId: string, orgId: string): Promise<number> {
    const remaining = sql<string[]>`array_remove(c.tag_ids, ${tagId}::uuid)`;
    const result = await contactsCarrying(db, orgId, tagId)
      .set({ tag_ids: remaining, tags: tagNamesOf(remaining) })
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** How many contacts of `orgId` carry `tagId`. */
  private async countCarrying(db: Kysely<CrmDb>, tagId: string, orgId: string): Promise<number> {
    const { count } = await db
      .selectFrom('contact')
      .select(sql<number>`count(*)::int`.as('count'))
      .where('org_id', '=', orgId)
      .where('tag_ids', '@>', sql<string[]>`ARRAY[${tagId}::uuid]`)
      .executeTakeFirstOrThrow();
    return count;
  }

  /** Takes `tagId` out of the organization's smart lists' stored filters (`filters.tagIds`). */
  private async removeFromSmartLists(db: Kysely<CrmDb>, tagId: string, orgId: string): Promise<void> {
    await db
      .updateTable('smart_list')
      .set({
        filters: sql<string>`jsonb_set(filters, '{tagIds}', (filters->'tagIds') - ${tagId}::text)`,
        updated_at: sql<Date>`now()`,
      })
      .where('org_id', '=', orgId)
      .where(sql<boolean>`jsonb_typeof(filters->'tagIds') = 'array'`)
      .where((eb) => eb(sql`filters->'tagIds'`, '?', sql<string>`${tagId}::text`))
      .execute();
  }

  /** The organization's tags and `actor`'s personal ones. */
  private visibleTags(runner: SqlRunner, actor: Actor) {
    return kyselyFor<CrmDb>(runner)
      .selectFrom('tag_definition')
      .select(TAG_COLUMNS)
      .where('org_id', '=', actor.orgId)
      .where((eb) => eb.or([eb('scope', '=', 'org'), eb('owner_id', '=', actor.userId ?? null)]));
  }

  private async visible(runner: SqlRunner, actor: Actor, id: string, lock: boolean): Promise<StoredTag> {
    let select = this.visibleTags(runner, actor).where('id', '=', id);
    if (lock) select = select.forUpdate();
    const row = await select.executeTakeFirst();
    if (!row) throw notFound();
    return row;
  }

  /** A tag the caller may change: their personal one, or an organization tag with `contacts:write` at org scope (403 otherwise). */
  private async writable(runner: SqlRunner, actor: Actor, id: string): Promise<StoredTag> {
    const row = await this.visible(runner, actor, id, true);
    if (row.scope === 'org') requireScope(actor, 'contacts:write', 'org');
    return row;
  }

  private async assertNameFree(runner: SqlRunner, orgId: string, scope: CrmTagScope, ownerId: string | null, name: string): Promise<void> {
    let select = kyselyFor<CrmDb>(runner)
      .selectFrom('tag_definition')
      .select('id')
      .where('org_id', '=', orgId)
      .where('scope', '=', scope)
      .where((eb) => eb(eb.fn('lower', ['name']), '=', eb.fn('lower', [eb.val(name.trim())])));
    if (scope === 'personal') select = select.where('owner_id', '=', ownerId);
    const taken = await select.executeTakeFirst();
    if (taken) {
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
