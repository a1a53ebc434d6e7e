import {
  type ColumnType,
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
} from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * Where a query runs: a transaction's `EntityManager` (`UnitOfWork`'s `unit.manager`, or the
 * `manager` of `dataSource.transaction`), the data source's own `manager`, or the `DataSource`
 * (each query then takes a pooled connection of its own, like `dataSource.query`).
 */
export type SqlRunner = EntityManager | DataSource;

/**
 * A jsonb column whose content has a declared shape `T`: read as `T` (node-postgres parses the
 * JSON), written as JSON text (`JSON.stringify(value)`; an object or array given directly would be
 * turned into a Postgres array by node-postgres). Used in a service's `<svc>.db-overrides.json`.
 */
export type JsonColumn<T> = ColumnType<T, string, string>;

/**
 * A Kysely instance typed by a service's generated schema (`DB`, from `apps/<svc>/src/database/
 * <svc>.db.ts`) whose queries run through `runner`'s TypeORM query runner: inside the runner's
 * transaction when it has one, with TypeORM's logging and `QueryFailedError`s, exactly like
 * `runner.query(sql, params)` (docs/adr/0027). Result rows are typed by the builder
 * (`.execute()`: `Row[]`; `.executeTakeFirst()`: `Row | undefined`; DML without RETURNING:
 * `numAffectedRows`). Raw SQL that the builder cannot express goes through Kysely's `sql` tag,
 * `sql<Row>\`...\`.execute(kyselyFor(manager))`, with values bound as parameters (no `$n` by hand).
 *
 * Transactions belong to the unit of work: `db.transaction()` and `db.connection()` throw.
 * Creating the instance is cheap (no connection is taken until a query runs); make one per
 * method call, not one per process, so that it runs in the caller's transaction.
 */
export function kyselyFor<DB>(runner: SqlRunner): Kysely<DB> {
  return new Kysely<DB>({ dialect: typeormDialect(runner) });
}

/**
 * A Kysely instance typed by `DB` that only compiles queries (`.compile()` → `{ sql, parameters }`)
 * and never connects: for statements compiled once, such as `definePreparedQuery`'s.
 */
export function sqlCompiler<DB>(): Kysely<DB> {
  return new Kysely<DB>({ dialect: typeormDialect(null) });
}

function typeormDialect(runner: SqlRunner | null): Dialect {
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new TypeormDriver(runner),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
}

class TypeormDriver implements Driver {
  private readonly connection: DatabaseConnection;

  constructor(runner: SqlRunner | null) {
    this.connection = new TypeormConnection(runner);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return this.connection;
  }

  async beginTransaction(): Promise<void> {
    throw new Error('kyselyFor: open transactions with UnitOfWork.run or dataSource.transaction, then pass its manager to kyselyFor');
  }

  async commitTransaction(): Promise<void> {
    throw new Error('kyselyFor: transactions are not handled by Kysely');
  }

  async rollbackTransaction(): Promise<void> {
    throw new Error('kyselyFor: transactions are not handled by Kysely');
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {}
}

interface StructuredResult {
  records?: unknown[];
  affected?: number;
}

interface StructuredQueryRunner {
  query(sql: string, parameters: unknown[], useStructuredResult: true): Promise<StructuredResult>;
  release(): Promise<void>;
}

class TypeormConnection implements DatabaseConnection {
  constructor(private readonly runner: SqlRunner | null) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    if (!this.runner) throw new Error('sqlCompiler: this Kysely instance only compiles queries; run them with kyselyFor(manager)');
    const result = await runStructured(this.runner, compiled.sql, [...compiled.parameters]);
    return {
      rows: (result.records ?? []) as R[],
      numAffectedRows: typeof result.affected === 'number' ? BigInt(result.affected) : undefined,
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('kyselyFor: streaming is not supported; page with keyset ranges instead');
  }
}

/**
 * `runner.query(sql, params)` with TypeORM's structured result (rows and affected count for every
 * command): the same query runner as `EntityManager.query` (the transaction's, or a pooled one
 * released afterwards, as `DataSource.query` does).
 */
async function runStructured(runner: SqlRunner, sql: string, parameters: unknown[]): Promise<StructuredResult> {
  const manager: EntityManager = 'createQueryRunner' in runner ? runner.manager : runner;
  const own = manager.queryRunner as unknown as StructuredQueryRunner | undefined;
  if (own) return own.query(sql, parameters, true);
  const pooled = manager.connection.createQueryRunner() as unknown as StructuredQueryRunner;
  try {
    return await pooled.query(sql, parameters, true);
  } finally {
    await pooled.release();
  }
}
