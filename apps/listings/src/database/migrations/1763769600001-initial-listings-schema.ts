import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxAndInboxDdl } from '@keyhouse/platform/messaging';

/**
 * The listings schema: properties (RESO Data Dictionary fields, prices in cents, location as a
 * PostGIS `geography(Point,4326)` with a GiST index), views, contact interest, saved searches and
 * their matches, MLS sources and sync runs, places for the nearby-places port, and the outbox and inbox. Every foreign key and every
 * column a list filters or sorts by is indexed; list indexes lead with `org_id` and skip soft-deleted rows.
 * PostGIS lives in schema `public` (deploy/infra.js), hence the `public.` qualifiers.
 */
export class InitialListingsSchema1763769600001 implements MigrationInterface {
  name = 'InitialListingsSchema1763769600001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'listings';
    const statements = [
      ...outboxAndInboxDdl(schema),
      `CREATE TABLE property (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        listing_key text NOT NULL CHECK (length(listing_key) BETWEEN 1 AND 255),
        listing_id text,
        origin text NOT NULL CHECK (origin IN ('manual', 'mls', 'import')),
        mls_source_id uuid,
        standard_status text NOT NULL,
        property_type text NOT NULL,
        list_price bigint CHECK (list_price >= 0),
        close_price bigint CHECK (close_price >= 0),
        close_date date,
        current_price bigint GENERATED ALWAYS AS (coalesce(CASE WHEN standard_status = 'Closed' THEN close_price END, list_price, close_price, 0)) STORED,
        street_number text,
        street_name text,
        unit_number text,
        city text,
        state_or_province text,
        postal_code text,
        location public.geography(Point, 4326),
        bedrooms_total integer CHECK (bedrooms_total >= 0),
        bathrooms_total_integer integer CHECK (bathrooms_total_integer >= 0),
        living_area integer CHECK (living_area >= 0),
        lot_size_square_feet integer CHECK (lot_size_square_feet >= 0),
        year_built integer,
        public_remarks text,
        list_agent_id uuid,
        media jsonb NOT NULL DEFAULT '[]'::jsonb,
        attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
        modification_timestamp timestamptz(3) NOT NULL DEFAULT now(),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        deleted_at timestamptz(3),
        CONSTRAINT property_closed_has_price_and_date CHECK (standard_status <> 'Closed' OR (close_price IS NOT NULL AND close_date IS NOT NULL)),
        CONSTRAINT property_org_listing_key_unique UNIQUE (org_id, listing_key)
      )`,
      `CREATE INDEX property_location_gist ON property USING gist (location)`,
      `CREATE INDEX property_org_modified_idx ON property (org_id, modification_timestamp, id) WHERE deleted_at IS NULL`,
      `CREATE INDEX property_org_created_idx ON property (org_id, created_at, id) WHERE deleted_at IS NULL`,
      `CREATE INDEX property_org_price_idx ON property (org_id, current_price, id) WHERE deleted_at IS NULL`,
      `CREATE INDEX property_org_status_idx ON property (org_id, standard_status) WHERE deleted_at IS NULL`,
      `CREATE INDEX property_org_type_idx ON property (org_id, property_type) WHERE deleted_at IS NULL`,
      `CREATE INDEX property_org_beds_idx ON property (org_id, bedrooms_total) WHERE deleted_at IS NULL`,
      `CREATE INDEX property_org_baths_idx ON property (org_id, bathrooms_total_integer) WHERE deleted_at IS NULL`,
      `CREATE INDEX property_org_living_area_idx ON property (org_id, living_area) WHERE deleted_at IS NULL`,
      `CREATE INDEX property_org_city_idx ON property (org_id, lower(city)) WHERE deleted_at IS NULL`,
      `CREATE INDEX property_org_postal_code_idx ON property (org_id, postal_code) WHERE deleted_at IS NULL`,
      `CREATE INDEX property_org_agent_idx ON property (org_id, list_agent_id) WHERE deleted_at IS NULL`,
      `CREATE INDEX property_org_close_date_idx ON property (org_id, close_date) WHERE deleted_at IS NULL AND standard_status = 'Closed'`,
      `CREATE INDEX property_mls_source_idx ON property (mls_source_id) WHERE mls_source_id IS NOT NULL`,
      `CREATE TABLE property_view (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        property_id uuid NOT NULL REFERENCES property (id),
        contact_id uuid NOT NULL,
        source text NOT NULL,
        viewed_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX property_view_property_idx ON property_view (property_id, viewed_at)`,
      `CREATE INDEX property_view_contact_idx ON property_view (org_id, contact_id, viewed_at)`,
      `CREATE TABLE contact_listing (
        org_id uuid NOT NULL,
        contact_id uuid NOT NULL,
        property_id uuid NOT NULL REFERENCES property (id),
        preference text NOT NULL CHECK (preference IN ('Favorite', 'Possibility', 'Discard')),
        note text,
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, contact_id, property_id)
      )`,
      `CREATE INDEX contact_listing_contact_idx ON contact_listing (org_id, contact_id, updated_at, property_id)`,
      `CREATE INDEX contact_listing_property_idx ON contact_listing (property_id, updated_at, contact_id)`,
      `CREATE TABLE saved_search (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        contact_id uuid NOT NULL,
        name text NOT NULL,
        filters jsonb NOT NULL DEFAULT '{}'::jsonb,
        area public.geography,
        geometry jsonb,
        created_by uuid,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        deleted_at timestamptz(3)
      )`,
      `CREATE INDEX saved_search_org_idx ON saved_search (org_id, created_at, id) WHERE deleted_at IS NULL`,
      `CREATE INDEX saved_search_contact_idx ON saved_search (org_id, contact_id) WHERE deleted_at IS NULL`,
      `CREATE TABLE saved_search_match (
        org_id uuid NOT NULL,
        contact_id uuid NOT NULL,
        property_id uuid NOT NULL REFERENCES property (id),
        saved_search_id uuid NOT NULL REFERENCES saved_search (id),
        matched_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, contact_id, property_id)
      )`,
      `CREATE INDEX saved_search_match_search_idx ON saved_search_match (saved_search_id)`,
      `CREATE INDEX saved_search_match_property_idx ON saved_search_match (property_id)`,
      `CREATE TABLE mls_source (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        name text NOT NULL,
        base_url text NOT NULL,
        credentials_ciphertext text NOT NULL,
        page_size integer NOT NULL DEFAULT 200 CHECK (page_size BETWEEN 1 AND 1000),
        interval_minutes integer NOT NULL DEFAULT 15 CHECK (interval_minutes >= 1),
        enabled boolean NOT NULL DEFAULT true,
        high_water_mark timestamptz(3),
        created_by uuid,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX mls_source_org_idx ON mls_source (org_id, created_at, id)`,
      `CREATE TABLE mls_sync_run (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        source_id uuid NOT NULL REFERENCES mls_source (id),
        status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
        pages integer NOT NULL DEFAULT 0,
        fetched integer NOT NULL DEFAULT 0,
        created integer NOT NULL DEFAULT 0,
        updated integer NOT NULL DEFAULT 0,
        unchanged integer NOT NULL DEFAULT 0,
        removed integer NOT NULL DEFAULT 0,
        failed integer NOT NULL DEFAULT 0,
        errors jsonb NOT NULL DEFAULT '[]'::jsonb,
        started_at timestamptz(3) NOT NULL DEFAULT now(),
        finished_at timestamptz(3),
        duration_ms integer
      )`,
      `CREATE INDEX mls_sync_run_source_idx ON mls_sync_run (source_id, started_at, id)`,
      `CREATE TABLE place (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        name text NOT NULL,
        category text NOT NULL,
        location public.geography(Point, 4326) NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE UNIQUE INDEX place_org_category_name_unique ON place (org_id, category, lower(name))`,
      `CREATE INDEX place_location_gist ON place USING gist (location)`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'place',
      'mls_sync_run',
      'mls_source',
      'saved_search_match',
      'saved_search',
      'contact_listing',
      'property_view',
      'property',
      'outbox_event',
      'inbox_event',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
