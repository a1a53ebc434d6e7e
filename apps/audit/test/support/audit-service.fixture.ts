import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import { actorFor, startService, type TestService } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import type { Actor } from '@keyhouse/contracts';
import { startAudit } from '../../src/main';

/** The audit service alone with its own archive directory, which it can be stopped and started again on. */
export interface AuditTestService extends TestService<NestFastifyApplication> {
  /** `AUDIT_ARCHIVE_DIR`: the retention archives and the external copy of the signed checkpoints. */
  archiveDir: string;
  /** Closes the running app (the isolation stays): events published now wait in Kafka. */
  down(): Promise<void>;
  /** Starts the service again on the same isolation; `app` is the new one. */
  up(): Promise<void>;
}

/** Starts audit with `startService(startAudit)` and a fresh `AUDIT_ARCHIVE_DIR` (removed by `stop()`). */
export async function startAuditService(): Promise<AuditTestService> {
  const archiveDir = mkdtempSync(path.join(tmpdir(), 'kh-audit-archive-'));
  const svc = await startService(startAudit, { AUDIT_ARCHIVE_DIR: archiveDir });
  let running: NestFastifyApplication | null = svc.app;
  const harness: AuditTestService = {
    ...svc,
    archiveDir,
    async down() {
      await running?.close();
      running = null;
    },
    async up() {
      running = await startAudit(svc.env);
      harness.app = running;
    },
    async stop() {
      try {
        if (running !== svc.app) await running?.close();
        await svc.stop();
      } finally {
        rmSync(archiveDir, { recursive: true, force: true });
      }
    },
  };
  return harness;
}

/** An organization's owner as audit sees them: reads the whole trail and changes its settings. */
export function auditOwner(orgId = newId()): Actor {
  return actorFor({ orgId, role: 'owner', permissions: ['audit:read:org', 'organizations:write:org'] });
}

/** A single connection to the service's database with `search_path` audit; `query` answers the rows. */
export interface AuditDatabase {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  end(): Promise<void>;
}

/**
 * A connection to the audit schema as the service's runtime role (`keyhouse_audit`, the
 * isolation's `AUDIT_DATABASE_URL`) or as the `postgres` superuser, for the append-only and tamper tests.
 */
export async function auditDatabase(service: TestService, as: 'audit' | 'superuser'): Promise<AuditDatabase> {
  const client =
    as === 'audit'
      ? new Client({
          connectionString: service.env.AUDIT_DATABASE_URL,
          password: process.env.AUDIT_DB_PASSWORD,
          options: '-c search_path=audit',
        })
      : new Client({
          host: service.env.PGHOST ?? '127.0.0.1',
          port: Number(service.env.PGPORT ?? 5432),
          user: service.env.PGUSER ?? 'postgres',
          password: service.env.PGPASSWORD,
          database: service.isolation.database,
          options: '-c search_path=audit',
        });
  await client.connect();
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      return (await client.query(sql, params)).rows as T[];
    },
    end: () => client.end(),
  };
}

/** Scalar `n` of a count query. */
export async function countOf(db: AuditDatabase, sql: string, params: unknown[]): Promise<number> {
  const [row] = await db.query<{ n: string | number }>(sql, params);
  return Number(row.n);
}
