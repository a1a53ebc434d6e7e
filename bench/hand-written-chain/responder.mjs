/**
 * Reference 2, back half: a plain NATS responder (no framework), the stand-in for identity. It
 * answers `{id, orgId}` requests on `<BENCH_SUBJECT>` (queue group `bench-responder`) by running
 * the same named prepared statement as identity's `GET /v1/users/me` on a pg Pool of 8, and replies
 * with the same JSON view identity builds (`toUserView`).
 *
 * Env: NATS_URL, BENCH_DATABASE_URL, BENCH_PG_OPTIONS, BENCH_SUBJECT, BENCH_STATEMENT_NAME, BENCH_SQL.
 */
import { connect } from 'nats';
import pg from 'pg';

const required = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const pool = new pg.Pool({
  connectionString: required('BENCH_DATABASE_URL'),
  options: process.env.BENCH_PG_OPTIONS,
  max: 8,
  application_name: 'bench-responder',
});
pool.on('error', (error) => process.stderr.write(`pg pool error: ${error.message}\n`));
const statementName = required('BENCH_STATEMENT_NAME');
const sql = required('BENCH_SQL');

const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', name: 'bench-responder' });
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toView(row) {
  return {
    id: row.id,
    orgId: row.org_id,
    email: row.email,
    name: row.name,
    phone: row.phone,
    role: row.role,
    status: row.status,
    teamIds: row.team_ids,
    timezone: row.timezone,
    language: row.language,
    notificationPreferences: row.notification_preferences,
    mfaEnabled: row.mfa_enabled,
    emailVerified: row.email_verified_at !== null,
    lastLoginAt: row.last_login_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

async function answer(message) {
  let reply;
  try {
    const { id, orgId } = JSON.parse(decoder.decode(message.data));
    const { rows } = await pool.query({ name: statementName, text: sql, values: [id, orgId] });
    reply = rows[0] ? toView(rows[0]) : { error: 'not found' };
  } catch (error) {
    reply = { error: error.message };
  }
  message.respond(encoder.encode(JSON.stringify(reply)));
}

nc.subscribe(required('BENCH_SUBJECT'), {
  queue: 'bench-responder',
  callback: (error, message) => {
    if (!error) void answer(message);
  },
});
await nc.flush();
process.stdout.write('responder ready\n');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await nc.drain().catch(() => {});
    await pool.end().catch(() => {});
    process.exit(0);
  });
}
