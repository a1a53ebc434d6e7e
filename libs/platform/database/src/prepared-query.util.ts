import type { DataSource } from 'typeorm';

interface PgPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * Runs a named prepared statement on the data source's pg pool: Postgres parses and plans it once
 * per connection, which matters on hot read paths (ARCHITECTURE.md, Performance choices). `name`
 * must be unique per statement text across the process.
 */
export async function preparedQuery<T>(dataSource: DataSource, name: string, text: string, values: unknown[]): Promise<T[]> {
  const pool = (dataSource.driver as unknown as { master: PgPool }).master;
  const result = await pool.query({ name, text, values });
  return result.rows as T[];
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
