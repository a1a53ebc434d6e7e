import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestIsolation, TestHttpClient, type TestIsolation } from '@keyhouse/testing';
import { startAudit } from '../../../audit/src/main';
import { startNotifications } from '../../../notifications/src/main';
import { startCrm } from '../../../crm/src/main';
import { startDealsCommission } from '../../../deals-commission/src/main';
import { startIdentity } from '../../../identity/src/main';
import { startListings } from '../../../listings/src/main';
import { startGateway } from '../../src/main';

/** Back-end services a test stack can run besides identity (which always runs). */
const STARTERS = {
  crm: startCrm,
  listings: startListings,
  'deals-commission': startDealsCommission,
  audit: startAudit,
  notifications: startNotifications,
} as const;

export type BackendService = keyof typeof STARTERS;

/**
 * Gateway + identity (+ the named back-end services) running in this test process against the
 * real local Postgres, NATS, Redis and Kafka, isolated from other test files (own database,
 * subject/topic/key prefixes). Limits are raised so functional tests are not throttled;
 * rate-limit tests pass their own.
 */
export interface TestStack {
  http: TestHttpClient;
  env: NodeJS.ProcessEnv;
  isolation: TestIsolation;
  identity: NestFastifyApplication | null;
  gateway: NestFastifyApplication;
  /** The running back-end services started by name (null once stopped). */
  services: Partial<Record<BackendService, NestFastifyApplication | null>>;
  stopIdentity(): Promise<void>;
  startIdentity(): Promise<void>;
  /** Stops one back-end service (to test restarts and outages). */
  stopService(name: BackendService): Promise<void>;
  /** Starts (again) one back-end service with the stack's environment. */
  startService(name: BackendService): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(
  overrides: Record<string, string> = {},
  options: { services?: BackendService[] } = {},
): Promise<TestStack> {
  const isolation = await createTestIsolation();
  const env: NodeJS.ProcessEnv = {
    ...isolation.env,
    PORT: '0',
    HEALTH_PORT: '0',
    RATE_LIMIT_AUTH_PER_MINUTE: '100000',
    RATE_LIMIT_PUBLIC_PER_MINUTE: '100000',
    RATE_LIMIT_IP_PER_MINUTE: '100000',
    RATE_LIMIT_USER_PER_MINUTE: '100000',
    API_KEY_CACHE_SECONDS: '0',
    OPENAPI_ENABLED: 'true',
    ...overrides,
  };
  const stack: TestStack = {
    http: null as unknown as TestHttpClient,
    env,
    isolation,
    identity: await startIdentity(env),
    gateway: null as unknown as NestFastifyApplication,
    services: {},
    async stopIdentity() {
      await stack.identity?.close();
      stack.identity = null;
    },
    async startIdentity() {
      stack.identity = await startIdentity(env);
    },
    async stopService(name) {
      await stack.services[name]?.close();
      stack.services[name] = null;
    },
    async startService(name) {
      stack.services[name] = await STARTERS[name](env);
    },
    async stop() {
      await stack.gateway.close();
      for (const app of Object.values(stack.services)) await app?.close();
      await stack.identity?.close();
      await isolation.drop();
    },
  };
  for (const name of options.services ?? []) await stack.startService(name);
  stack.gateway = await startGateway(env);
  const address = stack.gateway.getHttpServer().address() as { port: number };
  stack.http = new TestHttpClient(`http://127.0.0.1:${address.port}`);
  return stack;
}
