import { Injectable } from '@nestjs/common';
import { sql, type SqlBool } from 'kysely';
import type { EntityManager } from 'typeorm';
import { CrmTagEvent, type CrmContactTagDetail, type CrmContactView, type CrmTagEventData, type FieldError } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import type { UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { DEFAULT_TAG_COLOUR } from '../../database/migrations/1763769900000-crm-contact-tag-definitions';
import { CrmErrorCode } from '../../crm.exception';
import type { CrmDb } from '../../database/crm.db';
import { toContactView, type ContactRow } from './contact.row';

/** A contact's tags: definition ids and their names, position by position. */
export interface ContactTagList {
  ids: string[];
  names: string[];
}

/** Who names tags in a write: their user id (personal tags; `null` for API keys) and the unit of work that records a new tag's event. */
export interface TagAuthor {
  userId: string | null;
  unit: Pick<UnitOfWorkContext, 'emit'>;
  /** Names this author already resolved in this transaction (lower-cased name → tag); an import call reuses it across rows. */
  resolved?: Map<string, { id: string; name: string }>;
}

/** Longest name of a tag definition (as `POST /v1/tags` allows); names also carry no comma (CSV lists). */
export const TAG_NAME_MAX = 50;

/** Trimmed, non-empty, first spelling of each name (case-insensitive). */
export function distinctNames(names: string[]): string[] {
  const seen = new Map<string, string>();
  for (const raw of names) {
    const name = raw.trim();
    if (name && !seen.has(name.toLowerCase())) seen.set(name.toLowerCase(), name);
  }
  return [...seen.values()];
}

/**
 * Tags on contacts are tag definitions (`tag_definition`, managed at `/v1/tags`; docs/adr/0022).
 * The API speaks names; this resolves them to definitions and adds the definitions' details to
 * contact views. Resolution of one name, first match wins: a tag already on the contact with that
 * name (case-insensitive, so echoing a contact's list back never swaps another user's personal
 * tag for one of yours), the caller's personal tag, the organization's tag, else a new personal
 * tag of the caller (grey, `crm.tag.created` with `implicit: true`). A caller without a user (an
 * API key) cannot own a personal tag: an unknown name is a field error `tags[i]`.
 */
@Injectable()
export class ContactTags {
  async resolve(
    manager: EntityManager,
    orgId: string,
    author: TagAuthor | null,
    names: string[],
    current: ContactTagList,
    errors: FieldError[],
    field = 'tags',
  ): Promise<ContactTagList> {
    const wanted = distinctNames(names);
    const result: ContactTagList = { ids: [], names: [] };
    if (wanted.length === 0) return result;
    const byName = new Map<string, { id: string; name: string }>();
    current.ids.forEach((id, i) => {
      const key = current.names[i]?.toLowerCase();
      if (key && !byName.has(key)) byName.set(key, { id, name: current.names[i] });
    });
    for (const name of wanted) {
      const known = author?.resolved?.get(name.toLowerCase());
      if (known && !byName.has(name.toLowerCase())) byName.set(name.toLowerCase(), known);
    }
    const missing = wanted.filter((name) => !byName.has(name.toLowerCase()));
    if (missing.length > 0) {
      const rows = await kyselyFor<CrmDb>(manager)
        .selectFrom('tag_definition')
        .select(['id', 'name'])
        .where('org_id', '=', orgId)
        .where((eb) => eb.or([eb('scope', '=', 'org'), eb('owner_id', '=', author?.userId ?? null)]))
        .where(sql<string>`lower(name)`, '=', (eb) => eb.fn.any(eb.val(missing.map((name) => name.toLowerCase()))))
        .orderBy(sql`(scope = 'org')`)
        .execute();
      for (const row of rows) {
        if (byName.has(row.name.toLowerCase())) continue;
        byName.set(row.name.toLowerCase(), { id: row.id, name: row.name });
        author?.resolved?.set(row.name.toLowerCase(), { id: row.id, name: row.name });
      }
    }
    for (const [i, name] of wanted.entries()) {
      let found = byName.get(name.toLowerCase());
      if (!found) {
        if (name.length > TAG_NAME_MAX || name.includes(',')) {
          const index = names.findIndex((given) => given.trim().toLowerCase() === name.toLowerCase());
          errors.push({
            field: `${field}[${index >= 0 ? index : i}]`,
            message: `a new tag name has at most ${TAG_NAME_MAX} characters and no comma`,
            code: CrmErrorCode.InvalidTagName,
          });
          continue;
        }
        if (!author?.userId) {
          const index = names.findIndex((given) => given.trim().toLowerCase() === name.toLowerCase());
          errors.push({
            field: `${field}[${index >= 0 ? index : i}]`,
            message: `'${name}' is not a tag of this organization`,
            code: CrmErrorCode.UnknownTag,
          });
          continue;
        }
        found = await this.createPersonal(manager, orgId, author, name);
        byName.set(name.toLowerCase(), found);
        author.resolved?.set(name.toLowerCase(), found);
      }
      if (!result.ids.includes(found.id)) {
        result.ids.push(found.id);
        result.names.push(found.name);
      }
    }
    return result;
  }

  /** A personal tag of the author (created once even when two writes race for the same name). */
  private async createPersonal(
    manager: EntityManager,
    orgId: string,
    author: TagAuthor,
    name: string,
  ): Promise<{ id: string; name: string }> {
    const db = kyselyFor<CrmDb>(manager);
    const inserted = await db
      .insertInto('tag_definition')
      .values({
        id: newId(),
        org_id: orgId,
        name,
        colour: DEFAULT_TAG_COLOUR,
        scope: 'personal',
        owner_id: author.userId,
        created_by: author.userId,
      })
      .onConflict((conflict) =>
        conflict
          .expression(sql`owner_id, lower(name)`)
          .where(sql<SqlBool>`scope = 'personal'`)
          .doNothing(),
      )
      .returning(['id', 'name', 'colour', 'scope', 'owner_id'])
      .execute();
    if (inserted[0]) {
      const row = inserted[0];
      const data: CrmTagEventData = {
        tagId: row.id,
        name: row.name,
        colour: row.colour,
        scope: row.scope,
        ownerId: row.owner_id,
        implicit: true,
      };
      await author.unit.emit(CrmTagEvent.tagCreated, row.id, orgId, data);
      return { id: row.id, name: row.name };
    }
    const existing = await db
      .selectFrom('tag_definition')
      .select(['id', 'name'])
      .where('scope', '=', 'personal')
      .where('owner_id', '=', author.userId)
      .where(sql<string>`lower(name)`, '=', sql<string>`lower(${name})`)
      .executeTakeFirstOrThrow();
    return existing;
  }

  /** Contact views with `tagDetails` (one query for all the rows' tags). */
  async views(manager: EntityManager, rows: ContactRow[]): Promise<CrmContactView[]> {
    const ids = [...new Set(rows.flatMap((row) => row.tag_ids ?? []))];
    const details = new Map<string, CrmContactTagDetail>();
    if (ids.length > 0) {
      const found = await kyselyFor<CrmDb>(manager)
        .selectFrom('tag_definition')
        .select(['id', 'name', 'colour', 'scope'])
        .where('id', '=', (eb) => eb.fn.any(eb.val(ids)))
        .execute();
      for (const row of found) details.set(row.id, { id: row.id, name: row.name, colour: row.colour, scope: row.scope });
    }
    return rows.map((row) => ({
      ...toContactView(row),
      tagDetails: (row.tag_ids ?? []).map((id) => details.get(id)).filter((detail): detail is CrmContactTagDetail => !!detail),
    }));
  }

  async view(manager: EntityManager, row: ContactRow): Promise<CrmContactView> {
    return (await this.views(manager, [row]))[0];
  }
}
