import type { Compilable } from 'kysely';
import type { DataSource } from 'typeorm';

interface PgPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * Runs a named prepared statement on the data source's pg pool: Postgres parses and plans it once
 * per connection, which matters on hot read paths (ARCHITECTURE.md, Performance choices). `name`
 * must be unique per statement text across the process. Prefer `definePreparedQuery`, whose rows
 * are typed by the service's generated schema.
 */
export async function preparedQuery<T>(dataSource: DataSource, name: string, text: string, values: unknown[]): Promise<T[]> {
  const pool = (dataSource.driver as unknown as { master: PgPool }).master;
  const result = await pool.query({ name, text, values });
  return result.rows as T[];
}

/** A named prepared statement compiled once: its SQL text, and `run` typed by the query it was built from. */
export interface PreparedQuery<Params, Row> {
  /** Statement name on every pooled connection (unique per text across the process). */
  readonly name: string;
  /** The compiled SQL (`$1`, `$2`… in the order Kysely bound the values). */
  readonly text: string;
  /** The statement's parameter values for `params`, in `$n` order (constants of the query included). */
  values(params: Params): unknown[];
  /** Runs the statement on the data source's pg pool (outside any transaction) with `params`. */
  run(dataSource: DataSource, params: Params): Promise<Row[]>;
}

class PreparedParam {
  constructor(readonly key: string) {}
}

/**
 * Defines a named prepared statement from a Kysely query typed by the service's schema, so its
 * rows are typed by the same declaration as every other query (docs/adr/0027):
 *
 * ```ts
 * const db = sqlCompiler<IdentityDb>();
 * const profile = definePreparedQuery('identity.users.me', (p: { orgId: string; userId: string }) =>
 *   db.selectFrom('users').select(['id', 'email']).where('org_id', '=', p.orgId).where('id', '=', p.userId));
 * const [row] = await profile.run(dataSource, { orgId, userId }); // row: { id: string; email: string } | undefined
 * ```
 *
 * `build` is called once, at definition, with placeholders in place of `params`: it may only pass
 * them on as values (comparisons, `sql\`${p.x}\``, `limit(p.n)`); it must not read or branch on
 * them, and a list goes in as one array parameter (`= any(${p.ids})`), not through `in`. Values the
 * query holds as constants stay constant.
 */
export function definePreparedQuery<Params extends Record<string, unknown>, Row>(
  name: string,
  build: (params: Params) => Compilable<Row>,
): PreparedQuery<Params, Row> {
  const placeholders = new Proxy({} as Params, {
    get: (_target, key) => (typeof key === 'string' ? new PreparedParam(key) : undefined),
  });
  const compiled = build(placeholders).compile();
  const slots = [...compiled.parameters];
  const values = (params: Params): unknown[] => slots.map((slot) => (slot instanceof PreparedParam ? params[slot.key] : slot));
  return {
    name,
    text: compiled.sql,
    values,
    run: async (dataSource, params) => preparedQuery<Row>(dataSource, name, compiled.sql, values(params)),
  };
}

interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * Runs SQL and returns its rows. TypeORM's `query()` answers `[rows, affectedCount]` for UPDATE and
 * DELETE statements (with or without RETURNING) but plain rows for SELECT and INSERT; this hides
 * the difference.
 */
export async function queryRows<T>(runner: Queryable, sql: string, params: unknown[] = []): Promise<T[]> {
  const result = await runner.query(sql, params);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}
