import { Client } from 'pg';
import type { TestService } from '@keyhouse/testing';

/** A superuser connection to the service's isolation database with `search_path` notifications. */
export interface NotificationsDatabase {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  end(): Promise<void>;
}

/** Opens a `NotificationsDatabase` on `service`'s isolation database (to look at rows the API does not show). */
export async function notificationsDatabase(service: Pick<TestService, 'env' | 'isolation'>): Promise<NotificationsDatabase> {
  const client = new Client({
    host: service.env.PGHOST ?? '127.0.0.1',
    port: Number(service.env.PGPORT ?? 5432),
    user: service.env.PGUSER ?? 'postgres',
    password: service.env.PGPASSWORD,
    database: service.isolation.database,
    options: '-c search_path=notifications',
  });
  await client.connect();
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      return (await client.query(sql, params)).rows as T[];
    },
    end: () => client.end(),
  };
}
