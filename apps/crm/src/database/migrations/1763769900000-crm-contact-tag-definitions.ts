import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Colour of the tag definitions this migration (and an implicit tag creation) makes: grey. */
export const DEFAULT_TAG_COLOUR = '#9ca3af';

/**
 * Free-text tags (contacts without `tag_ids`, smart lists with `filters.tag`) to organization tag
 * definitions, spelt as on contacts (they were stored lower-cased) before a smart list's spelling.
 * Touches only rows still in the old form, so running it again changes nothing
 * (the integration test runs it on a legacy row).
 */
export const FREE_TEXT_TAGS_TO_DEFINITIONS: string[] = [
  `INSERT INTO tag_definition (id, org_id, name, colour, scope, owner_id, created_by)
       SELECT gen_random_uuid(), t.org_id, t.name, '${DEFAULT_TAG_COLOUR}', 'org', NULL, NULL
         FROM (SELECT DISTINCT ON (org_id, lower(name)) org_id, name
                 FROM (SELECT c.org_id, btrim(tag) AS name, 0 AS spelling FROM contact c, unnest(c.tags) AS tag WHERE cardinality(c.tag_ids) = 0
                       UNION ALL
                       SELECT s.org_id, btrim(tag) AS name, 1 AS spelling FROM smart_list s, jsonb_array_elements_text(
                         CASE WHEN jsonb_typeof(s.filters->'tag') = 'array' THEN s.filters->'tag' ELSE '[]'::jsonb END) AS tag) AS named
                WHERE name <> ''
                ORDER BY org_id, lower(name), spelling, name) AS t
        WHERE NOT EXISTS (SELECT 1 FROM tag_definition d WHERE d.org_id = t.org_id AND d.scope = 'org' AND lower(d.name) = lower(t.name))`,
  `UPDATE contact c SET
         tag_ids = ARRAY(SELECT d.id FROM unnest(c.tags) WITH ORDINALITY AS u(name, n)
                           JOIN tag_definition d ON d.org_id = c.org_id AND d.scope = 'org' AND lower(d.name) = lower(btrim(u.name))
                          ORDER BY u.n),
         tags = ARRAY(SELECT d.name FROM unnest(c.tags) WITH ORDINALITY AS u(name, n)
                        JOIN tag_definition d ON d.org_id = c.org_id AND d.scope = 'org' AND lower(d.name) = lower(btrim(u.name))
                       ORDER BY u.n)
       WHERE cardinality(c.tags) > 0 AND cardinality(c.tag_ids) = 0`,
  `UPDATE smart_list s SET filters = (s.filters - 'tag') || jsonb_build_object('tagIds', to_jsonb(ARRAY(
         SELECT d.id FROM jsonb_array_elements_text(s.filters->'tag') AS u(name)
           JOIN tag_definition d ON d.org_id = s.org_id AND d.scope = 'org' AND lower(d.name) = lower(btrim(u.name)))))
       WHERE jsonb_typeof(s.filters->'tag') = 'array'`,
];

/**
 * Contacts carry tag definitions instead of free text (docs/adr/0022-contact-tags-companies-ponds.md):
 * - `contact.tag_ids uuid[]` (GIN-indexed) is the source of truth; `contact.tags text[]` stays as
 *   the names of those definitions, position by position, kept in step on rename and delete.
 * - Every free-text tag already on a contact, and every tag name in a smart list's filters,
 *   becomes an organization tag (grey, `#9ca3af`) unless the organization has one of that name
 *   (case-insensitive); contacts point at it and smart lists store `filters.tagIds`.
 * - Ponds get `deleted_at` (a pond is soft-deleted: assignment history keeps pointing at it).
 * No events are emitted for the migrated definitions (nothing is deployed yet).
 */
export class CrmContactTagDefinitions1763769900000 implements MigrationInterface {
  name = 'CrmContactTagDefinitions1763769900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `ALTER TABLE contact ADD COLUMN tag_ids uuid[] NOT NULL DEFAULT '{}'`,
      ...FREE_TEXT_TAGS_TO_DEFINITIONS,
      `DROP INDEX IF EXISTS contact_tags_idx`,
      `CREATE INDEX contact_tag_ids_idx ON contact USING gin (tag_ids)`,
      `ALTER TABLE pond ADD COLUMN deleted_at timestamptz(3)`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE pond DROP COLUMN IF EXISTS deleted_at`);
    await queryRunner.query(`DROP INDEX IF EXISTS contact_tag_ids_idx`);
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS contact_tags_idx ON contact USING gin (tags)`);
    await queryRunner.query(`ALTER TABLE contact DROP COLUMN IF EXISTS tag_ids`);
  }
}
