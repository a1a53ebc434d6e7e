import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { getQueueToken, type Queue } from '@keyhouse/platform/queue';
import { createTestIsolation, TestHttpClient, type TestIsolation } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startIdentity } from '../../src/main';
import { IDENTITY_MAINTENANCE_QUEUE, IdentityMaintenanceJob } from '../../src/modules/maintenance/identity-maintenance.job';

const OPS_TOKEN = 'ops-token-for-tests-0123456789abcdef';

describe('identity maintenance and the failed-jobs view', () => {
  let isolation: TestIsolation;
  let app: NestFastifyApplication;
  let http: TestHttpClient;

  beforeAll(async () => {
    isolation = await createTestIsolation();
    app = await startIdentity({ ...isolation.env, HEALTH_PORT: '0', OPS_TOKEN });
    http = new TestHttpClient(`http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`);
  });

  afterAll(async () => {
    await app.get<Queue>(getQueueToken(IDENTITY_MAINTENANCE_QUEUE)).obliterate({ force: true });
    await app.close();
    await isolation.drop();
  });

  describe('IdentityMaintenanceJob', () => {
    describe('prune', () => {
      it('deletes login attempts older than the retention and keeps recent ones', async () => {
        const dataSource = app.get(DataSource);
        const old = newId();
        const recent = newId();
        await dataSource.query(
          `INSERT INTO login_attempt (id, email, succeeded, created_at) VALUES ($1, 'a@x.test', false, now() - interval '40 days'), ($2, 'a@x.test', false, now())`,
          [old, recent],
        );
        const removed = await app.get(IdentityMaintenanceJob).prune();
        expect(removed.loginAttempts).toBe(1);
        const left = (await dataSource.query(`SELECT id FROM login_attempt WHERE id = ANY($1::uuid[])`, [[old, recent]])) as Array<{
          id: string;
        }>;
        expect(left.map((row) => row.id)).toEqual([recent]);
      });

      it('is scheduled as one repeatable job', async () => {
        const repeatable = await app.get<Queue>(getQueueToken(IDENTITY_MAINTENANCE_QUEUE)).getRepeatableJobs();
        expect(repeatable.map((job) => job.name)).toEqual(['prune']);
      });
    });
  });

  describe('GET /internal/jobs/failed', () => {
    it('needs the operator token, lists a failed job with its reason, and retries it', async () => {
      const queue = app.get<Queue>(getQueueToken(IDENTITY_MAINTENANCE_QUEUE));
      expect((await http.get('/internal/jobs/queues')).status).toBe(401);
      expect((await http.get('/internal/jobs/queues', { headers: { authorization: 'Bearer wrong-token-wrong-token-wrong' } })).status).toBe(
        401,
      );
      const auth = { headers: { authorization: `Bearer ${OPS_TOKEN}` } };
      expect((await http.get<{ queues: string[] }>('/internal/jobs/queues', auth)).body.queues).toEqual([IDENTITY_MAINTENANCE_QUEUE]);

      const job = await queue.add('no-such-handler', { apiToken: 'secret-value' }, { attempts: 1 });
      for (let i = 0; i < 100 && !(await job.isFailed()); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
      const failed = await http.get<{ items: Array<{ id: string; failedReason: string; data: Record<string, unknown> }> }>(
        `/internal/jobs/failed?queue=${IDENTITY_MAINTENANCE_QUEUE}`,
        auth,
      );
      expect(failed.status).toBe(200);
      const item = failed.body.items.find((entry) => entry.id === String(job.id))!;
      expect(item.failedReason).toMatch(/no-such-handler/);
      expect(item.data.apiToken).toBe('[redacted]');
      const retried = await http.request('POST', `/internal/jobs/${IDENTITY_MAINTENANCE_QUEUE}/${job.id}/retry`, auth);
      expect(retried.status).toBe(204);
    });

    it('does not exist when no operator token is configured', async () => {
      const plain = await startIdentity({ ...isolation.env, HEALTH_PORT: '0' });
      try {
        const client = new TestHttpClient(`http://127.0.0.1:${(plain.getHttpServer().address() as { port: number }).port}`);
        expect((await client.get('/internal/jobs/queues', { headers: { authorization: `Bearer ${OPS_TOKEN}` } })).status).toBe(404);
      } finally {
        await plain.close();
      }
    });
  });
});
