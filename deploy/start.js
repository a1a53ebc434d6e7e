'use strict';
/**
 * `npm start`: installs what is missing, prepares the local infrastructure, builds, starts the
 * provider sandbox (apps/provider-sandbox: SendGrid, Twilio and FCM as their documented APIs, with
 * signed webhooks back to the gateway) and every implemented service (migrations run at start),
 * loads the demo organization, prints the URLs and demo credentials, and keeps running until
 * Ctrl-C; a process that crashes is restarted with a backoff (deploy/supervisor.js) while the
 * others and the local Kafka broker keep running.
 *
 * The notifications service sends through the official SDKs to the sandbox unless
 * `SENDGRID_API_KEY` (email), `TWILIO_ACCOUNT_SID` (SMS) or `FCM_PROJECT_ID` (push) is set in the environment: then it
 * talks to SendGrid, Twilio or FCM itself, with no code change (base URLs, tokens and webhook keys as
 * configured).
 */
const { spawn } = require('node:child_process');
const path = require('node:path');
const { ROOT, run, ensureDependencies } = require('./process-tools');
const { Supervisor } = require('./supervisor');

const DEMO = {
  organizationName: 'Keyhouse Demo Realty',
  owner: { name: 'Olivia Owner', email: 'owner@demo.keyhouse.test' },
  manager: { name: 'Marcus Manager', email: 'manager@demo.keyhouse.test' },
  agents: [
    { name: 'Ava Agent', email: 'ava@demo.keyhouse.test', regions: ['98103', '98105', '98115'], languages: ['en'] },
    { name: 'Ben Agent', email: 'ben@demo.keyhouse.test', regions: ['98004', '98006', '98008'], languages: ['en', 'es'] },
    { name: 'Chloe Agent', email: 'chloe@demo.keyhouse.test', regions: ['98052', '98053', '98074'], languages: ['en', 'zh'] },
  ],
  password: 'keyhouse-demo-2026',
};

/** The local stand-in for SendGrid, Twilio and FCM (apps/provider-sandbox, docs/adr/0034). */
const SANDBOX = { name: 'provider-sandbox', port: 3190, twilioAuthToken: 'sandbox-twilio-auth-token' };

async function waitReady(url, child, name, timeoutMs = 60000) {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}; see its log above`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`${name} was not ready at ${url} within ${timeoutMs / 1000} s`);
}

async function api(base, method, route, body, token) {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Creates the demo brokerage through the public API unless its owner can already log in. */
async function seedDemo(base) {
  const existing = await api(base, 'POST', '/v1/auth/login', { email: DEMO.owner.email, password: DEMO.password });
  if (existing.status === 200) return 'already present';
  const registered = await api(base, 'POST', '/v1/auth/register', {
    organizationName: DEMO.organizationName,
    name: DEMO.owner.name,
    email: DEMO.owner.email,
    password: DEMO.password,
  });
  if (registered.status !== 201) throw new Error(`demo registration failed: ${JSON.stringify(registered.body)}`);
  const token = registered.body.accessToken;
  const manager = await api(base, 'POST', '/v1/users', { ...DEMO.manager, role: 'manager', password: DEMO.password }, token);
  const team = await api(base, 'POST', '/v1/teams', { name: 'Seattle & Eastside', managerId: manager.body.id }, token);
  for (const agent of DEMO.agents) {
    const created = await api(
      base,
      'POST',
      '/v1/agents',
      {
        name: agent.name,
        email: agent.email,
        password: DEMO.password,
        teamIds: [team.body.id],
        regions: agent.regions,
        languages: agent.languages,
        capacity: 25,
        licenseState: 'WA',
        workingHours: {
          timezone: 'America/Los_Angeles',
          days: Object.fromEntries(['1', '2', '3', '4', '5'].map((day) => [day, [{ start: '09:00', end: '18:00' }]])),
        },
      },
      token,
    );
    if (created.status !== 201) throw new Error(`demo agent failed: ${JSON.stringify(created.body)}`);
  }
  return 'created';
}

async function main() {
  ensureDependencies();
  const { prepareInfrastructure } = require('./infra');
  const { SERVICES } = require('./services');
  const infraEnv = await prepareInfrastructure();
  const services = SERVICES.filter((service) => service.implemented);
  process.stdout.write(`Building ${services.map((s) => s.name).join(', ')}...\n`);
  run('npx', ['nx', 'run-many', '-t', 'build', '-p', ...services.map((s) => s.name), SANDBOX.name, '--outputStyle=static']);

  // A service that exits is started again with a backoff; the others and the local broker keep running.
  const supervisor = new Supervisor();
  process.on('SIGINT', () => {
    supervisor.stop();
    process.exit(130);
  });
  process.on('SIGTERM', () => {
    supervisor.stop();
    process.exit(143);
  });
  const gatewayPort = services.find((s) => s.name === 'gateway').healthPort;
  const sandboxUrl = `http://127.0.0.1:${SANDBOX.port}`;
  const sandbox = supervisor.start(SANDBOX.name, () =>
    spawn(process.execPath, [path.join(ROOT, 'dist', 'apps', SANDBOX.name, 'apps', SANDBOX.name, 'src', 'main.js')], {
      cwd: ROOT,
      env: {
        ...process.env,
        PROVIDER_SANDBOX_PORT: String(SANDBOX.port),
        PROVIDER_SANDBOX_SENDGRID_EVENTS_URL: `http://127.0.0.1:${gatewayPort}/v1/webhooks/sendgrid/events`,
        PROVIDER_SANDBOX_TWILIO_INBOUND_URL: `http://127.0.0.1:${gatewayPort}/v1/webhooks/twilio/inbound`,
        PROVIDER_SANDBOX_TWILIO_AUTH_TOKEN: SANDBOX.twilioAuthToken,
      },
      stdio: 'inherit',
    }),
  );
  await waitReady(`${sandboxUrl}/sandbox/health`, sandbox, SANDBOX.name);
  // The SDKs talk to the sandbox unless real credentials are configured (per provider).
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const providerEnv = {
    ...(process.env.SENDGRID_API_KEY ? {} : { SENDGRID_API_KEY: 'SG.sandbox', SENDGRID_BASE_URL: sandboxUrl }),
    ...(process.env.TWILIO_ACCOUNT_SID
      ? {}
      : {
          TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
          TWILIO_AUTH_TOKEN: SANDBOX.twilioAuthToken,
          TWILIO_FROM_NUMBER: '+12065550100',
          TWILIO_BASE_URL: sandboxUrl,
          TWILIO_STATUS_CALLBACK_URL: `${gatewayUrl}/v1/webhooks/twilio/status`,
          TWILIO_WEBHOOK_BASE_URL: gatewayUrl,
        }),
    // Push: firebase-admin's requests go to the sandbox's FCM v1 (a static token; docs/adr/0035).
    ...(process.env.FCM_PROJECT_ID ? {} : { FCM_PROJECT_ID: 'keyhouse-local', FCM_BASE_URL: sandboxUrl }),
  };

  // Backend services first, the gateway last.
  const ordered = [...services.filter((s) => s.name !== 'gateway'), ...services.filter((s) => s.name === 'gateway')];
  for (const service of ordered) {
    const env = { ...process.env, ...infraEnv, ...providerEnv, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' };
    if (service.name === 'gateway') {
      env.PORT = String(service.healthPort);
      env.METRICS_PORT = String(service.metricsPort);
    } else {
      env.HEALTH_PORT = String(service.healthPort);
    }
    const main = path.join(ROOT, 'dist', 'apps', service.name, 'apps', service.name, 'src', 'main.js');
    const child = supervisor.start(service.name, () => spawn(process.execPath, [main], { cwd: ROOT, env, stdio: 'inherit' }));
    await waitReady(`http://127.0.0.1:${service.healthPort}/health/ready`, child, service.name);
  }
  const gateway = services.find((s) => s.name === 'gateway');
  const base = `http://127.0.0.1:${gateway.healthPort}`;
  const metrics = `http://127.0.0.1:${gateway.metricsPort}/metrics`;
  const demo = await seedDemo(base);
  const login = async (email) => {
    const response = await api(base, 'POST', '/v1/auth/login', { email, password: DEMO.password });
    if (response.status !== 200) throw new Error(`demo login of ${email} failed: ${JSON.stringify(response.body)}`);
    return response.body.accessToken;
  };
  const seeded = await require('./seed').seedServices({
    base,
    api: (method, route, body, token) => api(base, method, route, body, token),
    login,
    demo: DEMO,
  });
  process.stdout.write(
    [
      '',
      'Keyhouse is running.',
      `  API:       ${base}/v1`,
      `  API docs:  ${base}/docs  (OpenAPI JSON: ${base}/docs-json)`,
      `  Health:    ${base}/health/ready   Metrics: ${metrics} (internal port, this machine only)`,
      `  Kafka:     ${infraEnv.KAFKA_BROKERS} (topics identity.events, ...)`,
      `  Providers: ${sandboxUrl}/sandbox/sendgrid/messages, /sandbox/webhooks  (the provider sandbox; apps/provider-sandbox/README.md)`,
      `Demo organization "${DEMO.organizationName}" (${demo}); password for every demo user: ${DEMO.password}`,
      ...seeded.map((line) => `  ${line}`),
      `  owner:    ${DEMO.owner.email}`,
      `  manager:  ${DEMO.manager.email}`,
      ...DEMO.agents.map((agent) => `  agent:    ${agent.email} (ZIP ${agent.regions.join(', ')})`),
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  process.stderr.write(`npm start failed: ${error.message}\n`);
  process.exit(1);
});
