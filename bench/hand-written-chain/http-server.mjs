/**
 * Reference 2, front half: a plain Fastify server (no Nest, no auth, no hooks) with one route,
 * `GET /v1/users/me`, that makes one NATS `request()` with `{id, orgId}` to the responder and
 * answers its JSON (parsed and re-serialized, as a hand-written service would), 503 when the
 * responder does not answer. `GET /health` answers 200.
 *
 * Env: PORT, NATS_URL, BENCH_SUBJECT, BENCH_USER_ID, BENCH_ORG_ID, BENCH_NATS_TIMEOUT_MS (default 3000;
 * request-cost.mjs raises it under valgrind, as it does the gateway's), BENCH_NATS_NO_ASYNC_TRACES=1 (the
 * connection option `noAsyncTraces`: `request()` then captures no call-site stack, a cheaper chain).
 */
import Fastify from 'fastify';
import { connect } from 'nats';

const required = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const subject = required('BENCH_SUBJECT');
const payload = new TextEncoder().encode(JSON.stringify({ id: required('BENCH_USER_ID'), orgId: required('BENCH_ORG_ID') }));
const decoder = new TextDecoder();
const timeout = Number(process.env.BENCH_NATS_TIMEOUT_MS ?? 3000);
const nc = await connect({
  servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  name: 'bench-http-server',
  noAsyncTraces: process.env.BENCH_NATS_NO_ASYNC_TRACES === '1',
});

const app = Fastify({ logger: false });
app.get('/health', async () => ({ status: 'ok' }));
app.get('/v1/users/me', async (request, reply) => {
  try {
    const message = await nc.request(subject, payload, { timeout });
    const body = JSON.parse(decoder.decode(message.data));
    if (body.error) return reply.code(502).send(body);
    return body;
  } catch (error) {
    return reply.code(503).send({ error: error.message });
  }
});

await app.listen({ host: '127.0.0.1', port: Number(required('PORT')) });
process.stdout.write('http-server ready\n');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await app.close().catch(() => {});
    await nc.drain().catch(() => {});
    process.exit(0);
  });
}
