'use strict';
// Unit tests of deploy/db-types.js that need no database (`node --test deploy/db-types.test.js`);
// the generation itself is checked by `node deploy/db-types.js --check` against Postgres.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pascalCase, targets, finish, staleFiles, migrationUrl, registerTypeScript, serviceMigrations } = require('./db-types');

const ROOT = path.resolve(__dirname, '..');

test('pascalCase joins the words of a service name', () => {
  assert.equal(pascalCase('deals-commission'), 'DealsCommission');
  assert.equal(pascalCase('audit'), 'Audit');
});

test('targets lists every service with a schema, with its generated file and interface name', () => {
  const all = targets();
  assert.deepEqual(
    all.map((t) => [t.service.name, path.relative(ROOT, t.dbFile), t.interfaceName]),
    [
      ['identity', 'apps/identity/src/database/identity.db.ts', 'IdentityDb'],
      ['crm', 'apps/crm/src/database/crm.db.ts', 'CrmDb'],
      ['listings', 'apps/listings/src/database/listings.db.ts', 'ListingsDb'],
      ['deals-commission', 'apps/deals-commission/src/database/deals-commission.db.ts', 'DealsCommissionDb'],
      ['audit', 'apps/audit/src/database/audit.db.ts', 'AuditDb'],
      ['notifications', 'apps/notifications/src/database/notifications.db.ts', 'NotificationsDb'],
      ['platform', 'libs/platform/messaging/src/outbox/platform.db.ts', 'PlatformDb'],
    ],
  );
  assert.deepEqual(
    targets(['audit']).map((t) => path.relative(ROOT, t.overridesFile)),
    ['apps/audit/src/database/audit.db-overrides.json'],
  );
});

test("the platform target reads the outbox and inbox tables from identity's migrated schema", () => {
  const [platform] = targets(['platform']);
  assert.deepEqual(platform.tables, ['outbox_event', 'inbox_event']);
  assert.equal(platform.source.service.name, 'identity');
  assert.equal(platform.service.schema, 'identity');
  assert.deepEqual(
    targets(['crm']).map((t) => t.service.name),
    ['crm'],
  );
});

test('targets refuses an unknown service and the gateway, which has no schema', () => {
  assert.throws(() => targets(['gateway']), /Unknown service\(s\) gateway/);
  assert.throws(() => targets(['crm', 'nope']), /Unknown service\(s\) nope/);
});

test('migrationUrl connects as the migrating role: the owner role when the service has one', () => {
  const [audit] = targets(['audit']);
  const [crm] = targets(['crm']);
  const env = { PGHOST: 'db.local', PGPORT: '6543', CRM_DB_PASSWORD: 'p@ss', AUDIT_DB_OWNER_PASSWORD: 'own' };
  assert.equal(migrationUrl(crm.service, 'kh_x', env), 'postgres://keyhouse_crm:p%40ss@db.local:6543/kh_x');
  assert.equal(migrationUrl(audit.service, 'kh_x', env), 'postgres://keyhouse_audit_owner:own@db.local:6543/kh_x');
  assert.equal(migrationUrl(crm.service, 'kh_x', { PGHOST: '::1' }), 'postgres://keyhouse_crm@[::1]:5432/kh_x');
});

test('finish names the schema interface after the service and puts the header first', async () => {
  const [audit] = targets(['audit']);
  const output =
    "import type { ColumnType } from 'kysely';\n\nexport interface Thing {\n  id: string;\n}\n\nexport interface DB {\n  thing: Thing;\n}\n";
  const text = await finish(audit, output);
  assert.match(text, /^\/\*\*\n \* Row shapes of the audit service's schema `audit`, generated from its migrations\n/);
  assert.match(text, /\nexport interface AuditDb extends PlatformDb \{\n {2}thing: Thing;\n\}\n$/);
  assert.match(text, /\nimport type \{ PlatformDb \} from '@keyhouse\/platform\/messaging';\n/);
  assert.doesNotMatch(text, /interface DB\b/);
});

test('finish gives the platform target its own header and no PlatformDb base', async () => {
  const [platform] = targets(['platform']);
  const text = await finish(
    platform,
    'export interface OutboxEvent {\n  id: string;\n}\n\nexport interface DB {\n  outbox_event: OutboxEvent;\n}\n',
  );
  assert.match(text, /^\/\*\*\n \* Row shapes of the platform's tables \(outbox_event, inbox_event\) that every service's schema carries/);
  assert.match(text, /\nexport interface PlatformDb \{\n/);
  assert.doesNotMatch(text, /PlatformDb extends|import type \{ PlatformDb/);
});

test('finish imports the shared column helpers instead of declaring them, and keeps a helper that is not shared', async () => {
  const [crm] = targets(['crm']);
  const output = [
    "import type { ColumnType } from 'kysely';",
    '',
    'export type Generated<T> = T extends ColumnType<infer S, infer I, infer U> ? ColumnType<S, I | undefined, U> : ColumnType<T, T | undefined, T>;',
    '',
    'export type Int8 = ColumnType<string, bigint | number | string, bigint | number | string>;',
    '',
    'export type Interval = ColumnType<string, string, string>;',
    '',
    'export interface Thing {',
    '  id: Generated<Int8>;',
    '  every: Interval;',
    '}',
    '',
    'export interface DB {',
    '  thing: Thing;',
    '}',
    '',
  ].join('\n');
  const text = await finish(crm, output);
  assert.match(text, /^import type \{ Generated, Int8 \} from '@keyhouse\/platform\/database';$/m);
  assert.doesNotMatch(text, /export type (Generated|Int8)\b/);
  assert.match(text, /^export type Interval = ColumnType<string, string, string>;$/m);
  assert.match(text, /^import type \{ ColumnType \} from 'kysely';$/m);
});

test('finish refuses output without the schema interface', async () => {
  const [audit] = targets(['audit']);
  await assert.rejects(finish(audit, 'export interface Thing {}\n'), /has no "export interface DB \{"/);
});

test('staleFiles names missing and differing files only', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'db-types-'));
  try {
    const file = (name) => ({ dbFile: path.join(dir, name) });
    fs.writeFileSync(path.join(dir, 'same.db.ts'), 'A');
    fs.writeFileSync(path.join(dir, 'old.db.ts'), 'A');
    const stale = staleFiles([
      { target: file('same.db.ts'), content: 'A' },
      { target: file('old.db.ts'), content: 'B' },
      { target: file('missing.db.ts'), content: 'C' },
    ]);
    assert.deepEqual(
      stale.map((f) => path.basename(f)),
      ['old.db.ts', 'missing.db.ts'],
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('serviceMigrations: the folder in timestamp order then the platform, or the service list file then the platform not in it', () => {
  const unregister = registerTypeScript();
  try {
    const [listings] = targets(['listings']);
    const [crm] = targets(['crm']);
    const [audit] = targets(['audit']);
    const { PLATFORM_MIGRATIONS } = require('../libs/platform/messaging/src/index.ts');
    const { AUDIT_MIGRATIONS } = require('../apps/audit/src/database/audit-migrations.constant.ts');
    const { CRM_MIGRATIONS } = require('../apps/crm/src/database/crm-migrations.constant.ts');
    const folder = fs.readdirSync(path.join(listings.dir, 'migrations')).filter((f) => f.endsWith('.ts'));
    const listingsNames = serviceMigrations(listings).map((m) => m.name);
    assert.equal(listingsNames.length, folder.length + PLATFORM_MIGRATIONS.length);
    const timestamps = listingsNames.slice(0, folder.length).map((name) => Number(/(\d{13})$/.exec(name)[1]));
    assert.deepEqual(
      timestamps,
      [...timestamps].sort((a, b) => a - b),
    );
    assert.deepEqual(
      listingsNames.slice(folder.length),
      PLATFORM_MIGRATIONS.map((m) => m.name),
    );
    assert.deepEqual(serviceMigrations(crm), [...CRM_MIGRATIONS, ...PLATFORM_MIGRATIONS]);
    assert.deepEqual(serviceMigrations(audit), AUDIT_MIGRATIONS);
  } finally {
    unregister();
  }
});
