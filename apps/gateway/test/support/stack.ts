import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestIsolation, TestHttpClient, type TestIsolation } from '@keyhouse/testing';
import { startIdentity } from '../../../identity/src/main';
import { startGateway } from '../../src/main';

/**
 * Gateway + identity running in this test process against the real local Postgres, NATS, Redis
 * and Kafka, isolated from other test files (own database, subject/topic/key prefixes). Limits are
 * raised so functional tests are not throttled; rate-limit tests pass their own.
 */
export interface TestStack {
  http: TestHttpClient;
  env: NodeJS.ProcessEnv;
  isolation: TestIsolation;
  identity: NestFastifyApplication | null;
  gateway: NestFastifyApplication;
  stopIdentity(): Promise<void>;
  startIdentity(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(overrides: Record<string, string> = {}): Promise<TestStack> {
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
    gateway: await startGateway(env),
    async stopIdentity() {
      await stack.identity?.close();
      stack.identity = null;
    },
    async startIdentity() {
      stack.identity = await startIdentity(env);
    },
    async stop() {
      await stack.gateway.close();
      await stack.identity?.close();
      await isolation.drop();
    },
  };
  const address = stack.gateway.getHttpServer().address() as { port: number };
  stack.http = new TestHttpClient(`http://127.0.0.1:${address.port}`);
  return stack;
}
