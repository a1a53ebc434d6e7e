'use strict';
/**
 * The declared row shapes of every service, generated from its migrations (docs/adr/0027):
 *   apps/<service>/src/database/<service>.db.ts   one Kysely schema interface per service
 *                                                 (`AuditDb`, `CrmDb`…: table name → columns)
 *
 *   node deploy/db-types.js [service…]          migrate a scratch database and write the files
 *   node deploy/db-types.js --check [service…]  exit 1 when a committed file differs from what the
 *                                               migrations produce (`npm test` runs this)
 *
 * How: a scratch database `kh_dbtypes_<random>` gets the roles, schemas and extensions of
 * production (`deploy/infra.js` prepareDatabase); each service's migrations run in it with the
 * service's own data source options (its role; audit's owner role, docs/adr/0020) — the TypeORM
 * migration classes of `apps/<service>/src/database/migrations/*.ts` (or the `<SERVICE>_MIGRATIONS`
 * list of `apps/<service>/src/database/<service>-migrations.constant.ts` when there is one) followed by the
 * platform's (`PLATFORM_MIGRATIONS`), as `ServiceCoreModule` runs them; then kysely-codegen
 * introspects the service's schema (without `typeorm_migrations`) and the output is formatted.
 * The database is dropped at the end, also on failure. TypeScript is loaded with @swc/core (the
 * `.swcrc` Jest uses) and the tsconfig path aliases, so nothing needs building first.
 *
 * Column types: node-postgres' defaults (bigint and numeric: string; timestamptz and date: Date;
 * jsonb: parsed JSON; unknown types such as PostGIS geography: string). A service narrows columns
 * the catalogue cannot know (jsonb content, CHECK-constrained text) in an optional
 * `apps/<service>/src/database/<service>.db-overrides.json`:
 *   { "imports": { "TypeName": "<module>#<export>" }, "columns": { "<table>.<column>": "<type>" } }
 * (a nullable column's override includes `| null`).
 *
 * Needs Postgres as `npm test` has it (PGHOST/PGPORT/PGUSER of a superuser; tmp/infra.env).
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { SERVICES } = require('./services');

const ROOT = path.resolve(__dirname, '..');
const COMMAND = 'node deploy/db-types.js';
const MIGRATIONS_TABLE = 'typeorm_migrations';
/** Formatting when the repository has no prettier configuration: the house style's quotes and width. */
const FALLBACK_PRETTIER = { singleQuote: true, printWidth: 140 };

/** 'deals-commission' → 'DealsCommission' */
function pascalCase(name) {
  return String(name)
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}

/** 'deals-commission' → 'DEALS_COMMISSION' */
function upperSnake(name) {
  return String(name)
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}

/** The service whose migrated schema the platform's tables are read from (every service has the same ones). */
const PLATFORM_SOURCE = 'identity';

/** The platform's own tables (outbox and inbox, `@keyhouse/platform/messaging`), in every service's schema. */
const PLATFORM_TABLES = ['outbox_event', 'inbox_event'];

/**
 * What to generate, with its files: `{ service, dir, dbFile, overridesFile, interfaceName, tables?,
 * source? }`. One target per service that owns a schema (`apps/<svc>/src/database/<svc>.db.ts`,
 * `<Svc>Db`), and the `platform` target: the outbox and inbox tables every schema carries, read from
 * `PLATFORM_SOURCE`'s migrated schema, as `PlatformDb` in libs/platform/messaging/src/outbox/platform.db.ts
 * (the relay and the inbox query them in whichever schema they serve, with `withSchema`).
 * `names` limits the list (`['crm']`, `['platform']`); empty means all.
 */
function targets(names = []) {
  const owning = SERVICES.filter((s) => s.schema && s.dbRole);
  const known = [...owning.map((s) => s.name), 'platform'];
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length) throw new Error(`Unknown service(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
  const all = owning.map((service) => {
    const dir = path.join(ROOT, 'apps', service.name, 'src', 'database');
    return {
      service,
      dir,
      dbFile: path.join(dir, `${service.name}.db.ts`),
      overridesFile: path.join(dir, `${service.name}.db-overrides.json`),
      interfaceName: `${pascalCase(service.name)}Db`,
    };
  });
  const list = all.filter((target) => names.length === 0 || names.includes(target.service.name));
  if (names.length === 0 || names.includes('platform')) {
    const source = all.find((target) => target.service.name === PLATFORM_SOURCE);
    const dir = path.join(ROOT, 'libs', 'platform', 'messaging', 'src', 'outbox');
    list.push({
      service: { name: 'platform', schema: source.service.schema },
      dir,
      dbFile: path.join(dir, 'platform.db.ts'),
      overridesFile: path.join(dir, 'platform.db-overrides.json'),
      interfaceName: 'PlatformDb',
      tables: PLATFORM_TABLES,
      source,
    });
  }
  return list;
}

// ---------------------------------------------------------------------------------------------
// TypeScript loading

/**
 * Lets `require` load the workspace's TypeScript (transpiled by @swc/core with the repository's
 * `.swcrc`, as Jest does) and resolve the `@keyhouse/*` aliases of tsconfig.base.json. Returns a
 * function that removes both hooks again.
 */
function registerTypeScript() {
  const swc = require('@swc/core');
  const swcrc = JSON.parse(fs.readFileSync(path.join(ROOT, '.swcrc'), 'utf8'));
  delete swcrc.$schema;
  const { compilerOptions } = require(path.join(ROOT, 'tsconfig.base.json'));
  const aliases = new Map(Object.entries(compilerOptions.paths).map(([alias, [target]]) => [alias, path.join(ROOT, target)]));

  const previousLoader = require.extensions['.ts'];
  require.extensions['.ts'] = (module, filename) => {
    const source = fs.readFileSync(filename, 'utf8');
    const { code } = swc.transformSync(source, { ...swcrc, sourceMaps: false, swcrc: false, filename });
    module._compile(code, filename);
  };
  const originalResolve = Module._resolveFilename;
  Module._resolveFilename = function resolveAlias(request, ...rest) {
    return originalResolve.call(this, aliases.get(request) ?? request, ...rest);
  };
  return () => {
    Module._resolveFilename = originalResolve;
    if (previousLoader) require.extensions['.ts'] = previousLoader;
    else delete require.extensions['.ts'];
  };
}

/**
 * Services whose migration list (`<service>-migrations.constant.ts`, what the service runs) is
 * generated from its `migrations/` folder by this command, so that a new migration is one new
 * file and nothing else to edit (CONTRIBUTING.md, "Adding a field to contacts").
 */
const GENERATED_MIGRATION_LISTS = new Set(['crm', 'notifications']);

/**
 * The generated `<service>-migrations.constant.ts`: one import per migration class of
 * `migrations/*.ts` (file order = timestamp order) and `<SERVICE>_MIGRATIONS`, formatted.
 * Returns `{ target: { dbFile }, content }` like a row-shape result, so `--check` covers it.
 */
async function migrationListFor(target) {
  const folder = path.join(target.dir, 'migrations');
  const files = fs
    .readdirSync(folder)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
    .sort();
  const imports = [];
  const names = [];
  for (const file of files) {
    const classes = [...fs.readFileSync(path.join(folder, file), 'utf8').matchAll(/^export class (\w+)/gm)].map((m) => m[1]);
    if (classes.length === 0) throw new Error(`${path.relative(ROOT, path.join(folder, file))} exports no migration class`);
    imports.push(`import { ${classes.join(', ')} } from './migrations/${file.replace(/\.ts$/, '')}';`);
    names.push(...classes);
  }
  const constant = `${upperSnake(target.service.name)}_MIGRATIONS`;
  const listFile = path.join(target.dir, `${target.service.name}-migrations.constant.ts`);
  const text = [
    ...imports,
    '',
    '/**',
    ` * The ${target.service.name} schema's migrations in order, generated from \`migrations/\` by \`${COMMAND}\``,
    " * (do not edit; `npm test` fails when it is stale): what the service runs at start, the platform's",
    ' * outbox and inbox migrations following (ServiceCoreModule), and what the row types are generated from.',
    ' */',
    `export const ${constant} = [${names.join(', ')}];`,
    '',
  ].join('\n');
  const prettier = require('prettier');
  const config = (await prettier.resolveConfig(listFile)) ?? FALLBACK_PRETTIER;
  return { target: { dbFile: listFile }, content: await prettier.format(text, { ...config, filepath: listFile }) };
}

/** Classes exported by a module that look like TypeORM migrations (a prototype with `up`). */
function migrationClasses(moduleExports) {
  return Object.values(moduleExports).filter((value) => typeof value === 'function' && typeof value.prototype?.up === 'function');
}

/**
 * The migration classes a service runs, in order: `<SERVICE>_MIGRATIONS` of
 * `<service>-migrations.constant.ts` when that file exists (the list the service itself runs, so a
 * migration left out of it is left out of the row types too), then `PLATFORM_MIGRATIONS` not already in it; otherwise
 * every class of `migrations/*.ts` (file order = timestamp order) followed by `PLATFORM_MIGRATIONS`.
 * Call with TypeScript registered.
 */
function serviceMigrations(target) {
  const listFile = path.join(target.dir, `${target.service.name}-migrations.constant.ts`);
  if (fs.existsSync(listFile) && !GENERATED_MIGRATION_LISTS.has(target.service.name)) {
    const list = require(listFile)[`${upperSnake(target.service.name)}_MIGRATIONS`];
    if (!Array.isArray(list))
      throw new Error(`${path.relative(ROOT, listFile)} does not export ${upperSnake(target.service.name)}_MIGRATIONS`);
    // The platform's run after the service's own, as ServiceCoreModule appends them (audit lists them itself).
    const { PLATFORM_MIGRATIONS } = require(path.join(ROOT, 'libs/platform/messaging/src/index.ts'));
    return [...list, ...PLATFORM_MIGRATIONS.filter((migration) => !list.includes(migration))];
  }
  const folder = path.join(target.dir, 'migrations');
  const files = fs.existsSync(folder)
    ? fs
        .readdirSync(folder)
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
        .sort()
    : [];
  const own = files.flatMap((file) => migrationClasses(require(path.join(folder, file))));
  const { PLATFORM_MIGRATIONS } = require(path.join(ROOT, 'libs/platform/messaging/src/index.ts'));
  return [...own, ...PLATFORM_MIGRATIONS];
}

// ---------------------------------------------------------------------------------------------
// Postgres

function pgSettings(env) {
  return {
    host: env.PGHOST || '127.0.0.1',
    port: Number(env.PGPORT || 5432),
    user: env.PGUSER || 'postgres',
    password: env.PGPASSWORD || undefined,
  };
}

/** URL of a service's migrating role (its owner role when it has one) in `database`. */
function migrationUrl(service, database, env) {
  const { host, port } = pgSettings(env);
  const role = service.dbOwnerRole ?? service.dbRole;
  const password = env[`${upperSnake(service.name)}_DB${service.dbOwnerRole ? '_OWNER' : ''}_PASSWORD`];
  const auth = password ? `${encodeURIComponent(role)}:${encodeURIComponent(password)}` : encodeURIComponent(role);
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `postgres://${auth}@${hostPart}:${port}/${encodeURIComponent(database)}`;
}

/** Runs a service's migrations in `database` with the service's data source options. */
async function migrate(target, migrations, database, env) {
  const { DataSource } = require('typeorm');
  const { serviceDataSourceOptions } = require(path.join(ROOT, 'libs/platform/database/src/data-source.config.ts'));
  const dataSource = new DataSource({
    ...serviceDataSourceOptions({
      serviceName: `db-types-${target.service.name}`,
      url: migrationUrl(target.service, database, env),
      schema: target.service.schema,
      entities: [],
      migrations,
      poolSize: 1,
      statementTimeoutMs: 60_000,
    }),
    migrationsRun: false,
  });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// generation

/** Reads a service's optional overrides file: `{ imports, columns }` for kysely-codegen. */
function readOverrides(target) {
  if (!fs.existsSync(target.overridesFile)) return { imports: {}, columns: {} };
  const parsed = JSON.parse(fs.readFileSync(target.overridesFile, 'utf8'));
  return { imports: parsed.imports ?? {}, columns: parsed.columns ?? {} };
}

/**
 * Post-processes kysely-codegen's output: our header, the schema interface named after the
 * service (`export interface DB` → `export interface AuditDb`), and prettier with the repository's
 * configuration (`FALLBACK_PRETTIER` when it has none) so that the file passes a formatting check.
 */
/** Column helper types declared once in `@keyhouse/platform/database` (db-column.type.ts). */
const SHARED_COLUMN_TYPES = [
  'ArrayType',
  'ArrayTypeImpl',
  'Generated',
  'Int8',
  'Json',
  'JsonArray',
  'JsonObject',
  'JsonPrimitive',
  'JsonValue',
  'Timestamp',
];

/**
 * Replaces the helper types kysely-codegen declares at the top of every file (`Generated`, `Int8`,
 * `Timestamp`, `Json*`, `ArrayType*`) with one import of the shared declarations, so the five
 * generated files do not each carry a copy. A helper codegen adds that is not shared stays as
 * generated. `ColumnType`'s import goes when nothing else uses it.
 */
function withSharedColumnTypes(output) {
  const ts = require('typescript');
  const source = ts.createSourceFile('db.ts', output, ts.ScriptTarget.ES2022, true);
  const removed = [];
  for (const statement of source.statements) {
    if (ts.isTypeAliasDeclaration(statement) && SHARED_COLUMN_TYPES.includes(statement.name.text)) {
      removed.push({ name: statement.name.text, start: statement.getFullStart(), end: statement.getEnd() });
    }
  }
  let text = output;
  for (const range of [...removed].reverse()) text = text.slice(0, range.start) + text.slice(range.end);
  const rest = text.replace(/^import type \{ ColumnType \} from ['"]kysely['"];\n/m, '');
  if (!/\bColumnType\b/.test(rest)) text = rest;
  // Only what the remaining text uses (a removed helper may have been referenced by another removed one only).
  const used = removed.map((r) => r.name).filter((name) => new RegExp(`\\b${name}\\b`).test(text));
  if (used.length === 0) return text;
  const importLine = /^import type \{ ([^}]*) \} from ['"]@keyhouse\/platform\/database['"];$/m;
  const existing = importLine.exec(text);
  if (existing) {
    const names = [...new Set([...existing[1].split(',').map((n) => n.trim()), ...used])].sort();
    return text.replace(importLine, `import type { ${names.join(', ')} } from '@keyhouse/platform/database';`);
  }
  return `import type { ${used.sort().join(', ')} } from '@keyhouse/platform/database';\n${text}`;
}

async function finish(target, output) {
  const header = [
    '/**',
    target.tables
      ? ` * Row shapes of the platform's tables (${target.tables.join(', ')}) that every service's schema carries, generated from the migrations of ${target.source.service.name}`
      : ` * Row shapes of the ${target.service.name} service's schema \`${target.service.schema}\`, generated from its migrations`,
    ` * by \`${COMMAND}\` (kysely-codegen; docs/adr/0027). Do not edit: change a migration (or`,
    ` * ${path.relative(target.dir, target.overridesFile)}) and run the command again; \`npm test\` fails when this file is stale.`,
    ' */',
    '',
  ].join('\n');
  const extendsPlatform = !target.tables;
  const renamed = output.replace(
    /^export interface DB \{$/m,
    `export interface ${target.interfaceName}${extendsPlatform ? ' extends PlatformDb' : ''} {`,
  );
  if (renamed === output) throw new Error(`kysely-codegen output for ${target.service.name} has no "export interface DB {"`);
  const body = extendsPlatform
    ? `import type { PlatformDb } from '@keyhouse/platform/messaging';\n${withSharedColumnTypes(renamed)}`
    : withSharedColumnTypes(renamed);
  const text = `${header}${body.trimStart()}`;
  const prettier = require('prettier');
  const config = (await prettier.resolveConfig(target.dbFile)) ?? FALLBACK_PRETTIER;
  return prettier.format(text, { ...config, filepath: target.dbFile });
}

/** The file content for a service, introspected from `database` (already migrated). */
async function generateFor(target, database, env) {
  const { Kysely, PostgresDialect: KyselyPostgresDialect } = require('kysely');
  const { Pool } = require('pg');
  const codegen = require('kysely-codegen');
  const db = new Kysely({ dialect: new KyselyPostgresDialect({ pool: new Pool({ ...pgSettings(env), database, max: 1 }) }) });
  const { imports, columns } = readOverrides(target);
  const schema = target.service.schema;
  try {
    const output = await codegen.generate({
      db,
      dialect: new codegen.PostgresDialect({ defaultSchemas: [schema] }),
      defaultSchemas: [schema],
      includePattern: target.tables ? `${schema}.{${target.tables.join(',')}}` : `${schema}.*`,
      // A service's file leaves the platform's tables to PlatformDb, which its interface extends.
      excludePattern: target.tables ? `${schema}.${MIGRATIONS_TABLE}` : `${schema}.{${[MIGRATIONS_TABLE, ...PLATFORM_TABLES].join(',')}}`,
      customImports: imports,
      overrides: { columns },
      outFile: null,
      skipAutogeneratedFileComment: true,
      typeOnlyImports: true,
    });
    return await finish(target, output);
  } finally {
    await db.destroy();
  }
}

/**
 * Migrates a scratch database and returns the generated file of each target:
 * `[{ target, content }]`. The database is dropped afterwards.
 */
async function generateAll(list, env = process.env) {
  const infra = require('./infra');
  const database = `kh_dbtypes_${crypto.randomBytes(4).toString('hex')}`;
  await infra.prepareDatabase(database, env);
  const unregister = registerTypeScript();
  try {
    // The platform target reads its source service's schema: migrate that service once.
    const toMigrate = [...new Set(list.map((target) => target.source ?? target))];
    const migrationsOf = new Map(toMigrate.map((target) => [target, serviceMigrations(target)]));
    // Schemas are independent: migrate them side by side.
    await Promise.all(toMigrate.map((target) => migrate(target, migrationsOf.get(target), database, env)));
    const results = [];
    for (const target of list) {
      if (GENERATED_MIGRATION_LISTS.has(target.service.name)) results.push(await migrationListFor(target));
      results.push({ target, content: await generateFor(target, database, env) });
    }
    return results;
  } finally {
    unregister();
    await infra.dropDatabase(database, env);
  }
}

/** Files whose committed content differs from `results` (missing files included), as repository paths. */
function staleFiles(results) {
  return results
    .filter(({ target, content }) => !fs.existsSync(target.dbFile) || fs.readFileSync(target.dbFile, 'utf8') !== content)
    .map(({ target }) => path.relative(ROOT, target.dbFile));
}

async function main(argv) {
  const check = argv.includes('--check');
  const names = argv.filter((arg) => !arg.startsWith('--'));
  const started = Date.now();
  const results = await generateAll(targets(names));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (check) {
    const stale = staleFiles(results);
    if (stale.length) {
      process.stderr.write(
        `The declared row shapes differ from the migrations (${stale.join(', ')}).\nRun \`${COMMAND}\` and commit the result.\n`,
      );
      return 1;
    }
    process.stdout.write(`Row shapes of ${results.length} service(s) match their migrations (${seconds} s).\n`);
    return 0;
  }
  for (const { target, content } of results) fs.writeFileSync(target.dbFile, content);
  process.stdout.write(`Wrote ${results.map(({ target }) => path.relative(ROOT, target.dbFile)).join(', ')} (${seconds} s).\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`${error.stack ?? error}\n`);
      process.exit(1);
    },
  );
}

module.exports = { pascalCase, targets, registerTypeScript, serviceMigrations, migrationUrl, generateAll, staleFiles, finish, main };
