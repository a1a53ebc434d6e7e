import {
  createTestIsolation,
  freePort,
  serviceProcess,
  serviceSupervisor,
  TestHttpClient,
  waitUntilReady,
  type TestIsolation,
} from '@keyhouse/testing';
import { faultOutcome } from '../../support/faults.fixture';
import { registerOrganization } from '../../support/identity.fixture';

/**
 * Issue 13 item 18: each service is killed with SIGKILL in turn while public leads arrive (300 leads,
 * 4 clients that retry a refused or failed request, or one whose key is still claimed, with the same
 * Idempotency-Key, as a form would).
 * The supervisor of `npm start` (deploy/supervisor.js) restarts it; no answer is a 500, every
 * accepted lead is stored once, and every event crm committed reaches the audit trail once.
 */
describe('kill -9 of each service in turn during lead intake', () => {
  const supervisor = serviceSupervisor();
  let isolation: TestIsolation;
  let http: TestHttpClient;
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    isolation = await createTestIsolation();
    const services: Array<[string, string]> = [
      ['identity', 'startIdentity'],
      ['crm', 'startCrm'],
      ['audit', 'startAudit'],
      ['gateway', 'startGateway'],
    ];
    for (const [name] of services) ports[name] = await freePort();
    for (const [name, start] of services) {
      const env: NodeJS.ProcessEnv = {
        ...isolation.env,
        ...(name === 'gateway'
          ? {
              PORT: String(ports[name]),
              METRICS_PORT: '0',
              NATS_REQUEST_TIMEOUT_MS: '5000',
              // as the in-process test stack: the limits are not what this test is about
              RATE_LIMIT_AUTH_PER_MINUTE: '100000',
              RATE_LIMIT_PUBLIC_PER_MINUTE: '100000',
              RATE_LIMIT_IP_PER_MINUTE: '100000',
            }
          : {}),
        ...(name !== 'gateway' ? { HEALTH_PORT: String(ports[name]) } : {}),
      };
      supervisor.start(name, () => serviceProcess(name, start, env));
      await waitUntilReady(`http://127.0.0.1:${ports[name]}/health/ready`);
    }
    http = new TestHttpClient(`http://127.0.0.1:${ports.gateway}`);
  });

  afterAll(async () => {
    supervisor.stop();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await isolation?.drop();
  });

  it('answers no 500, stores every accepted lead once and audits every crm event once', async () => {
    const owner = await registerOrganization(http, 'Crash Realty');
    const total = 300;
    const statuses: number[] = [];
    const accepted = new Map<number, string>();
    let next = 0;

    const submit = async (index: number): Promise<void> => {
      for (let attempt = 0; attempt < 120; attempt++) {
        let status = 0;
        try {
          const response = await http.post<{ contactId?: string }>(
            '/v1/public/leads',
            {
              formKey: owner.publicFormKey,
              firstName: 'Crash',
              lastName: `Lead${index}`,
              email: `crash-${index}@crash.test`,
              source: 'website',
            },
            { headers: { 'idempotency-key': `crash-lead-${index}` } },
          );
          status = response.status;
          statuses.push(status);
          if (status === 201 || status === 200) {
            accepted.set(index, `crash-${index}@crash.test`);
            return;
          }
        } catch {
          // the gateway is down: no answer at all
        }
        // 409: the key is still claimed by a request a killed gateway was running; its lease frees it
        // (IDEMPOTENCY_LEASE_SECONDS), as a client told to retry later would see.
        if (status !== 0 && status !== 409 && status !== 503 && status !== 504) return;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    };
    const client = async () => {
      while (next < total) await submit(next++);
    };
    const killer = async () => {
      for (const [at, name] of [
        [40, 'crm'],
        [100, 'audit'],
        [160, 'identity'],
        [220, 'gateway'],
      ] as Array<[number, string]>) {
        while (next < at) await new Promise((resolve) => setTimeout(resolve, 10));
        supervisor.child(name)!.kill('SIGKILL');
        await waitUntilReady(`http://127.0.0.1:${ports[name]}/health/ready`);
      }
    };
    await Promise.all([client(), client(), client(), client(), killer()]);

    for (const name of ['crm', 'audit', 'identity', 'gateway']) expect([name, supervisor.restarts(name)]).toEqual([name, 1]);
    expect(statuses.filter((status) => status >= 500 && status !== 503 && status !== 504)).toEqual([]);
    expect(accepted.size).toBe(total);

    // every lead stored once (the public form answers new and known people alike, issue 13 item 6:
    // found by address), every crm event audited once
    const server = { host: process.env.PGHOST ?? '127.0.0.1', port: Number(process.env.PGPORT ?? 5432), database: isolation.database };
    expect(await faultOutcome(server, owner.orgId, [...accepted.values()], 90_000)).toEqual({ unstored: [], unaudited: [], duplicates: 0 });
  });
});
