import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CrmTagEvent, type CrmContactTagDetail, type CrmContactView, type CrmTagEventData, type FieldError } from '@keyhouse/contracts';
import type { UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { DEFAULT_TAG_COLOUR } from '../../database/migrations/1763769900000-crm-contact-tag-definitions';
import { CrmErrorCode } from '../../crm.exception';
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

interface DefinitionRow {
  id: string;
  name: string;
  colour: string;
  scope: 'org' | 'personal';
  owner_id: string | null;
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
      const rows = (await manager.query(
        `SELECT id, name, colour, scope, owner_id FROM tag_definition
          WHERE org_id = $1 AND (scope = 'org' OR owner_id = $2::uuid) AND lower(name) = ANY($3::text[])
          ORDER BY (scope = 'org')`,
        [orgId, author?.userId ?? null, missing.map((name) => name.toLowerCase())],
      )) as DefinitionRow[];
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
    const inserted = (await manager.query(
      `INSERT INTO tag_definition (id, org_id, name, colour, scope, owner_id, created_by) VALUES ($1, $2, $3, $4, 'personal', $5, $5)
       ON CONFLICT (owner_id, lower(name)) WHERE scope = 'personal' DO NOTHING RETURNING id, name, colour, scope, owner_id`,
      [newId(), orgId, name, DEFAULT_TAG_COLOUR, author.userId],
    )) as DefinitionRow[];
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
    const [existing] = (await manager.query(
      `SELECT id, name FROM tag_definition WHERE scope = 'personal' AND owner_id = $1 AND lower(name) = lower($2)`,
      [author.userId, name],
    )) as Array<{ id: string; name: string }>;
    return existing;
  }

  /** Contact views with `tagDetails` (one query for all the rows' tags). */
  async views(manager: EntityManager, rows: ContactRow[]): Promise<CrmContactView[]> {
    const ids = [...new Set(rows.flatMap((row) => row.tag_ids ?? []))];
    const details = new Map<string, CrmContactTagDetail>();
    if (ids.length > 0) {
      const found = (await manager.query(`SELECT id, name, colour, scope FROM tag_definition WHERE id = ANY($1::uuid[])`, [
        ids,
      ])) as DefinitionRow[];
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
