import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxAndInboxDdl } from '@keyhouse/platform/messaging';

/** The deals-commission schema: the outbox and the inbox. Every foreign key and every column a list filters or sorts by is indexed. */
export class InitialDealsCommissionSchema1763769600002 implements MigrationInterface {
  name = 'InitialDealsCommissionSchema1763769600002';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'deals';
    const statements = [...outboxAndInboxDdl(schema)];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['outbox_event', 'inbox_event']) await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
  }
}
