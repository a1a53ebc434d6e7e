import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables of the agent's working tools (tasks, companies, saved replies, tag definitions). */
export class CrmWorkSchema1763769700000 implements MigrationInterface {
  name = 'CrmWorkSchema1763769700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements: string[] = [];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(): Promise<void> {
    // Nothing to undo yet.
  }
}
