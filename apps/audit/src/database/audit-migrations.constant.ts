import { DataSource } from 'typeorm';
import { runMigrationsLocked, serviceDataSourceOptions } from '@keyhouse/platform/database';
import { PLATFORM_MIGRATIONS } from '@keyhouse/platform/messaging';
import { auditMigrationUrl, auditRuntimeRole, type AuditConfig } from '../config/audit.config';
import { InitialAuditSchema1763769600003 } from './migrations/1763769600003-initial-audit-schema';
import { SignedAuditCheckpoints1763769600004 } from './migrations/1763769600004-signed-audit-checkpoints';

/** Every migration of the audit schema, in order. */
export const AUDIT_MIGRATIONS = [InitialAuditSchema1763769600003, SignedAuditCheckpoints1763769600004, ...PLATFORM_MIGRATIONS];

/**
 * What the runtime role may do on each table (docs/adr/0020). Anything not listed is revoked;
 * the append-only tables get SELECT and INSERT only.
 */
export const AUDIT_RUNTIME_GRANTS: Record<string, string> = {
  audit_entry: 'SELECT, INSERT',
  audit_checkpoint: 'SELECT, INSERT',
  audit_archive: 'SELECT, INSERT',
  audit_org_setting: 'SELECT, INSERT, UPDATE',
  audit_org_member: 'SELECT, INSERT, UPDATE',
  outbox_event: 'SELECT, INSERT, UPDATE, DELETE',
  inbox_event: 'SELECT, INSERT, UPDATE, DELETE',
  // read only, so that TypeORM at the runtime's start sees the migrations as done
  typeorm_migrations: 'SELECT',
};

/**
 * Runs the audit migrations as the schema's owner (`AUDIT_MIGRATION_DATABASE_URL`, role
 * `keyhouse_audit_owner`), under the platform's advisory lock, then (re)applies the runtime role's
 * table rights from `AUDIT_RUNTIME_GRANTS`: every table's rights are revoked from the runtime role
 * and granted again as listed, plus USAGE on the schema's sequences. Idempotent; runs at every
 * start before the service's own (runtime) connection pool opens, which then has no migration
 * to run.
 */
export async function migrateAuditSchema(config: AuditConfig): Promise<void> {
  const schema = config.AUDIT_DATABASE_SCHEMA;
  const dataSource = new DataSource({
    ...serviceDataSourceOptions({
      serviceName: 'audit-migrations',
      url: auditMigrationUrl(config),
      schema,
      entities: [],
      migrations: AUDIT_MIGRATIONS,
      poolSize: 2, // runMigrationsLocked holds one connection for the lock while the migrations use another
      statementTimeoutMs: 60_000,
    }),
    migrationsRun: false,
  });
  await dataSource.initialize();
  try {
    await runMigrationsLocked(dataSource, schema);
    await grantRuntimeRights(dataSource, schema, auditRuntimeRole(config));
  } finally {
    await dataSource.destroy();
  }
}

async function grantRuntimeRights(dataSource: DataSource, schema: string, runtimeRole: string): Promise<void> {
  const s = quoteIdent(schema);
  const role = quoteIdent(runtimeRole);
  await dataSource.transaction(async (manager) => {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${schema}.grants`]);
    await manager.query(`REVOKE ALL ON ALL TABLES IN SCHEMA ${s} FROM ${role}`);
    for (const [table, rights] of Object.entries(AUDIT_RUNTIME_GRANTS)) {
      await manager.query(`GRANT ${rights} ON ${s}.${quoteIdent(table)} TO ${role}`);
    }
    await manager.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${role}`);
  });
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
