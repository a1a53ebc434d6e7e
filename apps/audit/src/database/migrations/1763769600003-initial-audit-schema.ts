import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxAndInboxDdl } from '@keyhouse/platform/messaging';

/** The audit schema: the outbox and the inbox. Every foreign key and every column a list filters or sorts by is indexed. */
export class InitialAuditSchema1763769600003 implements MigrationInterface {
  name = 'InitialAuditSchema1763769600003';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'audit';
    const statements = [...outboxAndInboxDdl(schema)];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['outbox_event', 'inbox_event']) await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
  }
}
