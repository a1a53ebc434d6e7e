import { DataSource } from 'typeorm';
import { createTestIsolation, type TestIsolation } from '@keyhouse/testing';
import { startIdentity } from '../../src/main';

describe('identity start-up', () => {
  let isolation: TestIsolation;

  beforeAll(async () => {
    isolation = await createTestIsolation();
  });

  afterAll(async () => {
    await isolation.drop();
  });

  it('migrates a fresh database once, and two replicas starting together agree on one signing key', async () => {
    const env = { ...isolation.env, HEALTH_PORT: '0' };
    const [first, second] = await Promise.all([startIdentity(env), startIdentity(env)]);
    try {
      const dataSource = first.get(DataSource);
      const migrations = (await dataSource.query(`SELECT name FROM identity.typeorm_migrations`)) as Array<{ name: string }>;
      // Every configured migration ran exactly once although two replicas started together.
      expect(migrations.map((m) => m.name)).toEqual(dataSource.migrations.map((m) => m.name));
      expect(migrations.map((m) => m.name)).toContain('InitialIdentitySchema1763683200000');
      const keys = (await dataSource.query(`SELECT kid FROM identity.signing_key WHERE retired_at IS NULL`)) as unknown[];
      expect(keys).toHaveLength(1);
      const tables = (await dataSource.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'identity' ORDER BY table_name`,
      )) as Array<{ table_name: string }>;
      expect(tables.map((t) => t.table_name)).toEqual(
        expect.arrayContaining(['app_user', 'organization', 'outbox_event', 'inbox_event', 'refresh_token', 'token_revocation']),
      );
    } finally {
      await first.close();
      await second.close();
    }
    const again = await startIdentity(env);
    try {
      const dataSource = again.get(DataSource);
      const migrations = (await dataSource.query(`SELECT count(*)::int AS n FROM identity.typeorm_migrations`)) as Array<{ n: number }>;
      expect(migrations[0].n).toBe(dataSource.migrations.length);
    } finally {
      await again.close();
    }
  });

  it('keeps the service role inside its own schema', async () => {
    const app = await startIdentity({ ...isolation.env, HEALTH_PORT: '0' });
    try {
      const dataSource = app.get(DataSource);
      await expect(dataSource.query(`CREATE TABLE crm.intrusion (id int)`)).rejects.toThrow(/permission denied/);
      await expect(dataSource.query(`CREATE TABLE public.intrusion (id int)`)).rejects.toThrow(/permission denied/);
    } finally {
      await app.close();
    }
  });

  it('stops with a one-line message naming a malformed variable', async () => {
    const exit = jest.spyOn(process, 'exit').mockImplementation(((code: number) => {
      throw new Error(`exit ${code}`);
    }) as never);
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await expect(startIdentity({ ...isolation.env, HEALTH_PORT: 'eighty' })).rejects.toThrow('exit 78');
      const message = String(write.mock.calls[0][0]);
      expect(message).toMatch(/HEALTH_PORT/);
      expect(message.trim().split('\n')).toHaveLength(1);
    } finally {
      exit.mockRestore();
      write.mockRestore();
    }
  });
});
