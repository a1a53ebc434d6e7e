import { startPrivatePostgres, type PrivatePostgres } from '@keyhouse/testing';
import { faultOutcome } from '../../support/faults.fixture';
import { registerOrganization } from '../../support/identity.fixture';
import { startStack, type TestStack } from '../../support/stack.fixture';

/**
 * Issue 13 item 18: Postgres restarts twice while public leads arrive (300 leads, 4 clients).
 * Every request answers 201 or 503 with Retry-After within the request timeout — never a 500, never
 * a minute's wait; no accepted lead is lost; every accepted event reaches the audit trail.
 * The stack runs on a private Postgres cluster so that restarting it touches no other test file.
 */
describe('A Postgres restart during lead intake', () => {
  let postgres: PrivatePostgres;
  let stack: TestStack;
  const saved = { PGHOST: process.env.PGHOST, PGPORT: process.env.PGPORT, PGUSER: process.env.PGUSER };

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    Object.assign(process.env, postgres.env);
    stack = await startStack({ NATS_REQUEST_TIMEOUT_MS: '8000' }, { services: ['crm', 'audit'] });
  });

  afterAll(async () => {
    await stack?.stop();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    postgres?.stop();
  });

  it('answers 201 or 503 with Retry-After, loses no accepted lead and audits every accepted event', async () => {
    const owner = await registerOrganization(stack.http, 'Restart Realty');
    const total = 300;
    const outcomes: Array<{ index: number; status: number; retryAfter: string | null; ms: number }> = [];
    let next = 0;
    let restarts = 0;

    const client = async () => {
      while (next < total) {
        const index = next++;
        const started = Date.now();
        const response = await stack.http.post(
          '/v1/public/leads',
          {
            formKey: owner.publicFormKey,
            firstName: 'Lead',
            lastName: `No${index}`,
            email: `lead-${index}@restart.test`,
            source: 'website',
          },
          { headers: { 'idempotency-key': `restart-lead-${index}` } },
        );
        outcomes.push({
          index,
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          ms: Date.now() - started,
        });
      }
    };
    const restarter = async () => {
      for (const at of [60, 180]) {
        while (next < at) await new Promise((resolve) => setTimeout(resolve, 10));
        postgres.restart();
        restarts++;
      }
    };
    await Promise.all([client(), client(), client(), client(), restarter()]);
    expect(restarts).toBe(2);

    expect(outcomes).toHaveLength(total);
    expect(outcomes.filter((o) => o.status === 201).length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => ![201, 503].includes(o.status)).map((o) => [o.index, o.status])).toEqual([]);
    expect(outcomes.filter((o) => o.status === 503 && !(Number(o.retryAfter) > 0)).map((o) => o.index)).toEqual([]);
    expect(outcomes.filter((o) => o.ms >= 10_000).map((o) => [o.index, o.ms])).toEqual([]);

    // every accepted lead stored once (the public form answers new and known people alike, issue 13
    // item 6: found by address), every crm event audited once
    const accepted = outcomes.filter((o) => o.status === 201).map((o) => `lead-${o.index}@restart.test`);
    const server = { host: '127.0.0.1', port: postgres.port, database: stack.isolation.database };
    expect(await faultOutcome(server, owner.orgId, accepted)).toEqual({ unstored: [], unaudited: [], duplicates: 0 });
  });
});
