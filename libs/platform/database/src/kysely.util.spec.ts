import { sql, type ColumnType, type Generated } from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';
import { kyselyFor, sqlCompiler, type JsonColumn } from './kysely.util';
import { definePreparedQuery } from './prepared-query.util';

/** A schema as `deploy/db-types.js` generates it. */
interface TestDb {
  widget: {
    id: string;
    org_id: string;
    seq: ColumnType<string, number | string, number | string>;
    tags: Generated<string[]>;
    meta: JsonColumn<{ colour: string }> | null;
    created_at: Generated<Date>;
  };
}

interface Call {
  sql: string;
  parameters: unknown[];
  structured: boolean;
}

/** A TypeORM query runner stand-in: records calls and answers with `answer`. */
function fakeQueryRunner(answer: { records?: unknown[]; affected?: number }) {
  const calls: Call[] = [];
  const runner = {
    released: 0,
    query: jest.fn(async (text: string, parameters: unknown[], structured: boolean) => {
      calls.push({ sql: text, parameters, structured });
      return answer;
    }),
    release: jest.fn(async () => {
      runner.released += 1;
    }),
  };
  return { runner, calls };
}

describe('kyselyFor', () => {
  describe('with a transaction manager', () => {
    it('runs the compiled query on the transaction query runner, with structured results, and types the rows', async () => {
      const { runner, calls } = fakeQueryRunner({ records: [{ id: 'w1', seq: '7' }], affected: 1 });
      const manager = { queryRunner: runner, connection: { createQueryRunner: jest.fn() } } as unknown as EntityManager;

      const rows = await kyselyFor<TestDb>(manager)
        .selectFrom('widget')
        .select(['id', 'seq'])
        .where('org_id', '=', 'org-1')
        .where('seq', '<', '10')
        .orderBy('seq', 'desc')
        .limit(5)
        .execute();

      expect(calls).toEqual([
        {
          sql: 'select "id", "seq" from "widget" where "org_id" = $1 and "seq" < $2 order by "seq" desc limit $3',
          parameters: ['org-1', '10', 5],
          structured: true,
        },
      ]);
      expect(rows).toEqual([{ id: 'w1', seq: '7' }]);
      expect(runner.release).not.toHaveBeenCalled();
      expect((manager.connection.createQueryRunner as jest.Mock).mock.calls).toHaveLength(0);
    });

    it('reports the affected row count of DML without RETURNING', async () => {
      const { runner } = fakeQueryRunner({ records: [], affected: 3 });
      const manager = { queryRunner: runner, connection: {} } as unknown as EntityManager;

      const result = await kyselyFor<TestDb>(manager)
        .updateTable('widget')
        .set({ seq: 2 })
        .where('org_id', '=', 'org-1')
        .executeTakeFirst();

      expect(result.numUpdatedRows).toBe(3n);
    });

    it('binds the values of raw sql templates as parameters', async () => {
      const { runner, calls } = fakeQueryRunner({ records: [{ n: 1 }] });
      const manager = { queryRunner: runner, connection: {} } as unknown as EntityManager;

      const result = await sql<{
        n: number;
      }>`SELECT count(*) AS n FROM widget WHERE tags && ${['a', 'b']}::text[] AND org_id = ${'org-1'}`.execute(kyselyFor<TestDb>(manager));

      expect(calls[0]).toEqual({
        sql: 'SELECT count(*) AS n FROM widget WHERE tags && $1::text[] AND org_id = $2',
        parameters: [['a', 'b'], 'org-1'],
        structured: true,
      });
      expect(result.rows).toEqual([{ n: 1 }]);
    });

    it('refuses to open a transaction of its own', async () => {
      const { runner } = fakeQueryRunner({ records: [] });
      const manager = { queryRunner: runner, connection: {} } as unknown as EntityManager;

      await expect(
        kyselyFor<TestDb>(manager)
          .transaction()
          .execute(async () => undefined),
      ).rejects.toThrow(/UnitOfWork\.run/);
      expect(runner.query).not.toHaveBeenCalled();
    });
  });

  describe('without a transaction', () => {
    it('takes a pooled query runner from the data source for each query and releases it, also on failure', async () => {
      const { runner, calls } = fakeQueryRunner({ records: [{ id: 'w1' }] });
      const createQueryRunner = () => runner;
      const dataSource = {
        createQueryRunner,
        manager: { queryRunner: undefined, connection: { createQueryRunner } },
      } as unknown as DataSource;

      await kyselyFor<TestDb>(dataSource).selectFrom('widget').select('id').execute();
      runner.query.mockRejectedValueOnce(new Error('boom'));
      await expect(kyselyFor<TestDb>(dataSource).selectFrom('widget').select('id').execute()).rejects.toThrow('boom');

      expect(calls).toHaveLength(1);
      expect(runner.released).toBe(2);
    });

    it('uses the pooled runner for the data source manager too', async () => {
      const { runner } = fakeQueryRunner({ records: [] });
      const manager = { queryRunner: undefined, connection: { createQueryRunner: () => runner } } as unknown as EntityManager;

      await kyselyFor<TestDb>(manager)
        .insertInto('widget')
        .values({ id: 'w1', org_id: 'o', seq: 1, meta: JSON.stringify({ colour: 'red' }) })
        .execute();

      expect(runner.query).toHaveBeenCalledWith(
        'insert into "widget" ("id", "org_id", "seq", "meta") values ($1, $2, $3, $4)',
        ['w1', 'o', 1, '{"colour":"red"}'],
        true,
      );
      expect(runner.released).toBe(1);
    });
  });
});

describe('sqlCompiler', () => {
  it('compiles queries and refuses to run them', async () => {
    const query = sqlCompiler<TestDb>().selectFrom('widget').select('meta').where('id', '=', 'w1');

    expect(query.compile().sql).toBe('select "meta" from "widget" where "id" = $1');
    await expect(query.execute()).rejects.toThrow(/only compiles/);
  });
});

describe('definePreparedQuery', () => {
  const db = sqlCompiler<TestDb>();

  function fakeDataSource(rows: unknown[]) {
    const query = jest.fn(async (_config: { name: string; text: string; values: unknown[] }) => ({ rows }));
    return { dataSource: { driver: { master: { query } } } as unknown as DataSource, query };
  }

  it('compiles the statement once and runs it by name with the values in their parameter positions', async () => {
    const byOrg = definePreparedQuery('test.widget.by-org', (p: { orgId: string; below: string; limit: number }) =>
      db
        .selectFrom('widget')
        .select(['id', 'seq'])
        .where('org_id', '=', p.orgId)
        .where('seq', '<', p.below)
        .orderBy('seq', 'desc')
        .limit(p.limit),
    );
    const { dataSource, query } = fakeDataSource([{ id: 'w2', seq: '4' }]);

    const rows = await byOrg.run(dataSource, { limit: 20, orgId: 'org-9', below: '5' });

    expect(byOrg.text).toBe('select "id", "seq" from "widget" where "org_id" = $1 and "seq" < $2 order by "seq" desc limit $3');
    expect(query).toHaveBeenCalledWith({ name: 'test.widget.by-org', text: byOrg.text, values: ['org-9', '5', 20] });
    expect(rows).toEqual([{ id: 'w2', seq: '4' }]);
  });

  it('keeps constants of the query and passes the same placeholder wherever it is used', async () => {
    const tagged = definePreparedQuery('test.widget.tagged', (p: { orgId: string; tags: string[] }) =>
      db
        .selectFrom('widget')
        .select('id')
        .where('org_id', '=', p.orgId)
        .where('seq', '>', '0')
        .where(sql<boolean>`tags && ${p.tags}::text[]`)
        .where('id', '!=', p.orgId),
    );
    const { dataSource, query } = fakeDataSource([]);

    await tagged.run(dataSource, { orgId: 'org-1', tags: ['vip'] });

    expect(query.mock.calls[0][0].values).toEqual(['org-1', '0', ['vip'], 'org-1']);
  });
});
