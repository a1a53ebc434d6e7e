-- Keyhouse database bootstrap for docker-compose.yml.
--
-- The postgis image runs this once, through psql as the superuser, when the data volume is empty
-- (mounted as /docker-entrypoint-initdb.d/20-keyhouse.sql, after the image's 10_postgis.sh).
-- To re-run it: `docker compose down -v` (drops all data) and `docker compose up`.
--
-- One database, one schema per service, one role per service that can touch only its schema
-- (ARCHITECTURE.md, Data). Passwords are not written here: psql's \getenv (PostgreSQL 15+) reads
-- them from the postgres container's environment, which docker-compose.yml fills in.
--
-- Adding a service: its password variable in docker-compose.yml (postgres.environment), a \getenv
-- check below, and its role, schema and search_path as for the others.

\set ON_ERROR_STOP on

\getenv identity_password KEYHOUSE_IDENTITY_DB_PASSWORD
\if :{?identity_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'KEYHOUSE_IDENTITY_DB_PASSWORD is not set in the postgres container environment'; END $$;
\endif

\getenv crm_password KEYHOUSE_CRM_DB_PASSWORD
\if :{?crm_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'KEYHOUSE_CRM_DB_PASSWORD is not set in the postgres container environment'; END $$;
\endif

\getenv listings_password KEYHOUSE_LISTINGS_DB_PASSWORD
\if :{?listings_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'KEYHOUSE_LISTINGS_DB_PASSWORD is not set in the postgres container environment'; END $$;
\endif

\getenv deals_password KEYHOUSE_DEALS_COMMISSION_DB_PASSWORD
\if :{?deals_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'KEYHOUSE_DEALS_COMMISSION_DB_PASSWORD is not set in the postgres container environment'; END $$;
\endif

\getenv audit_password KEYHOUSE_AUDIT_DB_PASSWORD
\if :{?audit_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'KEYHOUSE_AUDIT_DB_PASSWORD is not set in the postgres container environment'; END $$;
\endif

\getenv notifications_password KEYHOUSE_NOTIFICATIONS_DB_PASSWORD
\if :{?notifications_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'KEYHOUSE_NOTIFICATIONS_DB_PASSWORD is not set in the postgres container environment'; END $$;
\endif

CREATE DATABASE keyhouse;
\connect keyhouse

-- Extensions live in `public` and are created here, by the superuser, so that no service role
-- needs the privilege to create them. Service migrations may assume they exist.
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
CREATE EXTENSION IF NOT EXISTS citext;

-- Nobody connects or creates objects by default; each service role gets exactly what it needs.
-- (`public` keeps USAGE for everyone, so the extension types and functions stay usable.)
REVOKE ALL ON DATABASE keyhouse FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- identity ---------------------------------------------------------------------------------------
CREATE ROLE keyhouse_identity LOGIN PASSWORD :'identity_password';
GRANT CONNECT, TEMPORARY ON DATABASE keyhouse TO keyhouse_identity;
CREATE SCHEMA identity AUTHORIZATION keyhouse_identity;
ALTER ROLE keyhouse_identity IN DATABASE keyhouse SET search_path = identity, public;
ALTER ROLE keyhouse_identity IN DATABASE keyhouse SET jit = off;

-- crm -------------------------------------------------------------------------------------------
CREATE ROLE keyhouse_crm LOGIN PASSWORD :'crm_password';
GRANT CONNECT, TEMPORARY ON DATABASE keyhouse TO keyhouse_crm;
CREATE SCHEMA crm AUTHORIZATION keyhouse_crm;
ALTER ROLE keyhouse_crm IN DATABASE keyhouse SET search_path = crm, public;
ALTER ROLE keyhouse_crm IN DATABASE keyhouse SET jit = off;

-- listings --------------------------------------------------------------------------------------
CREATE ROLE keyhouse_listings LOGIN PASSWORD :'listings_password';
GRANT CONNECT, TEMPORARY ON DATABASE keyhouse TO keyhouse_listings;
CREATE SCHEMA listings AUTHORIZATION keyhouse_listings;
ALTER ROLE keyhouse_listings IN DATABASE keyhouse SET search_path = listings, public;
ALTER ROLE keyhouse_listings IN DATABASE keyhouse SET jit = off;

-- deals-commission ------------------------------------------------------------------------------
CREATE ROLE keyhouse_deals LOGIN PASSWORD :'deals_password';
GRANT CONNECT, TEMPORARY ON DATABASE keyhouse TO keyhouse_deals;
CREATE SCHEMA deals AUTHORIZATION keyhouse_deals;
ALTER ROLE keyhouse_deals IN DATABASE keyhouse SET search_path = deals, public;
ALTER ROLE keyhouse_deals IN DATABASE keyhouse SET jit = off;

-- notifications ---------------------------------------------------------------------------------
CREATE ROLE keyhouse_notifications LOGIN PASSWORD :'notifications_password';
GRANT CONNECT, TEMPORARY ON DATABASE keyhouse TO keyhouse_notifications;
CREATE SCHEMA notifications AUTHORIZATION keyhouse_notifications;
ALTER ROLE keyhouse_notifications IN DATABASE keyhouse SET search_path = notifications, public;
ALTER ROLE keyhouse_notifications IN DATABASE keyhouse SET jit = off;

-- audit -----------------------------------------------------------------------------------------
-- Two roles (docs/adr/0020): keyhouse_audit_owner owns the schema and its tables and runs the
-- migrations (the service connects as it through AUDIT_MIGRATION_DATABASE_URL, only to migrate);
-- keyhouse_audit, the runtime role, gets USAGE on the schema and the table rights the migrations
-- grant (SELECT and INSERT only on the append-only tables). It is not a member of the owner role,
-- so it cannot SET ROLE to it, disable the triggers or grant itself UPDATE.
-- Without KEYHOUSE_AUDIT_OWNER_DB_PASSWORD the owner role is created NOLOGIN (and the audit
-- service cannot migrate until a password is set: ALTER ROLE keyhouse_audit_owner LOGIN PASSWORD ...).
CREATE ROLE keyhouse_audit LOGIN PASSWORD :'audit_password';
\getenv audit_owner_password KEYHOUSE_AUDIT_OWNER_DB_PASSWORD
\if :{?audit_owner_password}
CREATE ROLE keyhouse_audit_owner LOGIN PASSWORD :'audit_owner_password';
\else
CREATE ROLE keyhouse_audit_owner NOLOGIN;
\endif
GRANT CONNECT, TEMPORARY ON DATABASE keyhouse TO keyhouse_audit, keyhouse_audit_owner;
CREATE SCHEMA audit AUTHORIZATION keyhouse_audit_owner;
GRANT USAGE ON SCHEMA audit TO keyhouse_audit;
ALTER ROLE keyhouse_audit IN DATABASE keyhouse SET search_path = audit, public;
ALTER ROLE keyhouse_audit IN DATABASE keyhouse SET jit = off;
ALTER ROLE keyhouse_audit_owner IN DATABASE keyhouse SET search_path = audit, public;
ALTER ROLE keyhouse_audit_owner IN DATABASE keyhouse SET jit = off;
