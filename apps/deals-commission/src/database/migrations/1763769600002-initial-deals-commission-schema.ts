import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxAndInboxDdl } from '@keyhouse/platform/messaging';

/**
 * The deals-commission schema: pipelines, transactions and their activity (timeline and stage
 * history), commission plans, agents' plans, versioned commission statements, offers on listings, the outbox and the
 * inbox. Money in `bigint` cents, rates in integer basis points. Every foreign key and every column a
 * list filters or sorts by is indexed.
 */
export class InitialDealsCommissionSchema1763769600002 implements MigrationInterface {
  name = 'InitialDealsCommissionSchema1763769600002';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'deals';
    const statements = [
      ...outboxAndInboxDdl(schema),
      `CREATE TABLE pipeline (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        name text NOT NULL,
        is_default boolean NOT NULL DEFAULT false,
        stages jsonb NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE UNIQUE INDEX pipeline_org_default_uq ON pipeline (org_id) WHERE is_default`,
      `CREATE UNIQUE INDEX pipeline_org_name_uq ON pipeline (org_id, lower(name))`,
      `CREATE INDEX pipeline_org_created_idx ON pipeline (org_id, created_at, id)`,
      `CREATE TABLE commission_plan (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        name text NOT NULL,
        gross_rate_bps integer CHECK (gross_rate_bps BETWEEN 0 AND 10000),
        flat_fee_cents bigint CHECK (flat_fee_cents >= 0),
        agent_split_bps integer NOT NULL CHECK (agent_split_bps BETWEEN 0 AND 10000),
        transaction_fee_cents bigint NOT NULL DEFAULT 0 CHECK (transaction_fee_cents >= 0),
        tiers jsonb NOT NULL DEFAULT '[]',
        annual_cap_cents bigint CHECK (annual_cap_cents >= 0),
        referral_fee_bps integer NOT NULL DEFAULT 0 CHECK (referral_fee_bps BETWEEN 0 AND 10000),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT commission_plan_rate_or_flat_ck CHECK ((gross_rate_bps IS NULL) <> (flat_fee_cents IS NULL))
      )`,
      `CREATE UNIQUE INDEX commission_plan_org_name_uq ON commission_plan (org_id, lower(name))`,
      `CREATE INDEX commission_plan_org_created_idx ON commission_plan (org_id, created_at, id)`,
      `CREATE TABLE agent_commission_plan (
        org_id uuid NOT NULL,
        agent_id uuid NOT NULL,
        plan_id uuid NOT NULL REFERENCES commission_plan (id),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, agent_id)
      )`,
      `CREATE INDEX agent_commission_plan_plan_idx ON agent_commission_plan (plan_id)`,
      `CREATE TABLE deal_transaction (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        property_id uuid,
        buyer_contact_ids uuid[] NOT NULL DEFAULT '{}',
        seller_contact_ids uuid[] NOT NULL DEFAULT '{}',
        agent_id uuid NOT NULL,
        agent_ids uuid[] NOT NULL,
        team_ids uuid[] NOT NULL DEFAULT '{}',
        team jsonb NOT NULL DEFAULT '[]',
        side text NOT NULL CHECK (side IN ('buy', 'list', 'dual')),
        price_cents bigint NOT NULL CHECK (price_cents >= 0),
        pipeline_id uuid NOT NULL REFERENCES pipeline (id),
        stage text NOT NULL,
        status text NOT NULL CHECK (status IN ('open', 'won', 'lost')),
        probability integer NOT NULL CHECK (probability BETWEEN 0 AND 100),
        expected_close_date date,
        close_date date,
        close_price_cents bigint CHECK (close_price_cents >= 0),
        commission_plan_id uuid REFERENCES commission_plan (id),
        participants jsonb NOT NULL DEFAULT '[]',
        key_dates jsonb NOT NULL DEFAULT '{}',
        notes text,
        created_by uuid,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        deleted_at timestamptz(3)
      )`,
      `CREATE INDEX deal_transaction_org_created_idx ON deal_transaction (org_id, created_at, id) WHERE deleted_at IS NULL`,
      `CREATE INDEX deal_transaction_agent_ids_idx ON deal_transaction USING gin (agent_ids)`,
      `CREATE INDEX deal_transaction_team_ids_idx ON deal_transaction USING gin (team_ids)`,
      `CREATE INDEX deal_transaction_org_agent_idx ON deal_transaction (org_id, agent_id)`,
      `CREATE INDEX deal_transaction_pipeline_idx ON deal_transaction (pipeline_id, stage)`,
      `CREATE INDEX deal_transaction_org_expected_close_idx ON deal_transaction (org_id, expected_close_date)`,
      `CREATE INDEX deal_transaction_org_price_idx ON deal_transaction (org_id, price_cents)`,
      `CREATE INDEX deal_transaction_property_idx ON deal_transaction (property_id)`,
      `CREATE INDEX deal_transaction_plan_idx ON deal_transaction (commission_plan_id)`,
      `CREATE TABLE transaction_activity (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        transaction_id uuid NOT NULL REFERENCES deal_transaction (id),
        kind text NOT NULL,
        data jsonb NOT NULL DEFAULT '{}',
        actor_id uuid,
        created_at timestamptz(3) NOT NULL DEFAULT clock_timestamp()
      )`,
      `CREATE INDEX transaction_activity_transaction_idx ON transaction_activity (transaction_id, created_at, id)`,
      `CREATE TABLE commission_statement (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        transaction_id uuid NOT NULL REFERENCES deal_transaction (id),
        version integer NOT NULL,
        is_current boolean NOT NULL DEFAULT true,
        agent_id uuid NOT NULL,
        team_ids uuid[] NOT NULL DEFAULT '{}',
        plan_id uuid NOT NULL REFERENCES commission_plan (id),
        close_date date NOT NULL,
        price_cents bigint NOT NULL,
        gross_cents bigint NOT NULL,
        referral_fee_cents bigint NOT NULL,
        brokerage_cents bigint NOT NULL,
        agent_cents bigint NOT NULL,
        fees_cents bigint NOT NULL,
        detail jsonb NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT commission_statement_version_uq UNIQUE (transaction_id, version),
        CONSTRAINT commission_statement_sum_ck CHECK (gross_cents = referral_fee_cents + brokerage_cents + agent_cents + fees_cents)
      )`,
      `CREATE UNIQUE INDEX commission_statement_current_uq ON commission_statement (transaction_id) WHERE is_current`,
      `CREATE INDEX commission_statement_org_close_idx ON commission_statement (org_id, close_date) WHERE is_current`,
      `CREATE INDEX commission_statement_agent_close_idx ON commission_statement (org_id, agent_id, close_date) WHERE is_current`,
      `CREATE INDEX commission_statement_team_ids_idx ON commission_statement USING gin (team_ids)`,
      `CREATE INDEX commission_statement_plan_idx ON commission_statement (plan_id)`,
      `CREATE TABLE offer (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        property_id uuid NOT NULL,
        transaction_id uuid NOT NULL REFERENCES deal_transaction (id),
        buyer_contact_id uuid,
        buyer_name text,
        amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
        earnest_money_cents bigint NOT NULL DEFAULT 0 CHECK (earnest_money_cents >= 0),
        financing_type text NOT NULL,
        contingencies text[] NOT NULL DEFAULT '{}',
        expires_at timestamptz(3),
        status text NOT NULL CHECK (status IN ('submitted', 'countered', 'accepted', 'rejected', 'withdrawn')),
        accepted_at timestamptz(3),
        created_by uuid,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX offer_property_idx ON offer (org_id, property_id, created_at, id)`,
      `CREATE INDEX offer_transaction_idx ON offer (transaction_id)`,
      `CREATE UNIQUE INDEX offer_property_accepted_uq ON offer (property_id) WHERE status = 'accepted'`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'offer',
      'commission_statement',
      'transaction_activity',
      'deal_transaction',
      'agent_commission_plan',
      'commission_plan',
      'pipeline',
      'outbox_event',
      'inbox_event',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
