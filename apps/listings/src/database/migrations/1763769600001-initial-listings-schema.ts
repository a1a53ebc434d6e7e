import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxAndInboxDdl } from '@keyhouse/platform/messaging';

/** The listings schema: the outbox and the inbox. Every foreign key and every column a list filters or sorts by is indexed. */
export class InitialListingsSchema1763769600001 implements MigrationInterface {
  name = 'InitialListingsSchema1763769600001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'listings';
    const statements = [...outboxAndInboxDdl(schema)];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['outbox_event', 'inbox_event']) await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
  }
}
