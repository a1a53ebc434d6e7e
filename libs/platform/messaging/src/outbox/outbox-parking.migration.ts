import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxParkingDdl } from './outbox-ddl.util';

/**
 * Adds outbox parking (`parked_at`, `outboxParkingDdl`) to the service's schema. A platform
 * migration: `ServiceCoreModule` appends it (with any later ones, `PLATFORM_MIGRATIONS`) to every
 * service's own list, so a new service cannot forget it.
 */
export class OutboxParking1765000000000 implements MigrationInterface {
  name = 'OutboxParking1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'public';
    for (const statement of outboxParkingDdl(schema)) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'public';
    await queryRunner.query(`DROP INDEX IF EXISTS "${schema}".idx_outbox_event_parked`);
    await queryRunner.query(`ALTER TABLE "${schema}".outbox_event DROP COLUMN IF EXISTS parked_at`);
  }
}

/** Migrations of the platform's own tables (outbox, inbox), run by every service after its own of earlier dates. */
export const PLATFORM_MIGRATIONS = [OutboxParking1765000000000];
