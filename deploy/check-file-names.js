'use strict';
/**
 * File names carry their role (STYLE.md "Naming", extended by docs/adr/0029): every TypeScript file
 * under `apps/<project>/src`, `apps/<project>/test` and `libs/**\/src` is kebab-case and ends in one
 * of the role suffixes below (`contact-merge.service.ts`, `rate-limit.guard.ts`), except the
 * entry points (`index.ts`, `main.ts`), declaration files and migrations
 * (`database/migrations/<epoch>-<kebab-name>.ts`).
 *
 *   node deploy/check-file-names.js    prints each offending path and exits 1, or a one-line summary
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/** STYLE.md's vocabulary, then ADR 0029's additions. Longest first so `.http.controller` wins. */
const ROLE_SUFFIXES = [
  // STYLE.md
  'module',
  'service',
  'http.controller',
  'rpc.controller',
  'consumer',
  'entity',
  'dto',
  'job',
  'exception',
  'config',
  'constant',
  'util',
  'type',
  'event',
  'rpc',
  'spec',
  'integration-spec',
  // ADR 0029: framework roles
  'guard',
  'interceptor',
  'pipe',
  'filter',
  'decorator',
  'middleware',
  // ADR 0029: data
  'migration',
  'db',
  'row',
  'queries',
  // ADR 0029: ports and adapters, and what converts between shapes
  'port',
  'adapter',
  'factory',
  'codec',
  'mapper',
  'parser',
  'renderer',
  // ADR 0029: test support, command-line entry points
  'fixture',
  'cli',
];

const KEBAB = '[a-z0-9]+(?:-[a-z0-9]+)*';
const ROLE = ROLE_SUFFIXES.map((suffix) => suffix.replace('.', '\\.')).join('|');
const NAMED = new RegExp(`^${KEBAB}(?:\\.${KEBAB})*?\\.(?:${ROLE})(?:\\.spec)?\\.ts$`);
const MIGRATION = /^\d{13}-[a-z0-9]+(?:-[a-z0-9]+)*\.ts$/;
const EXEMPT = new Set(['index.ts', 'main.ts']);

function walk(dir, found = []) {
  if (!fs.existsSync(dir)) return found;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist', 'generated'].includes(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, found);
    else if (entry.name.endsWith('.ts')) found.push(full);
  }
  return found;
}

/** The files the rule covers, relative to `root`. */
function coveredFiles(root = ROOT) {
  const dirs = [];
  for (const kind of ['apps', 'libs']) {
    const base = path.join(root, kind);
    if (!fs.existsSync(base)) continue;
    for (const project of walkProjects(base)) dirs.push(path.join(project, 'src'), path.join(project, 'test'));
  }
  return dirs.flatMap((dir) => walk(dir)).map((file) => path.relative(root, file));
}

/** Directories holding a `project.json` under `base` (Nx projects). */
function walkProjects(base) {
  const projects = [];
  for (const entry of fs.readdirSync(base, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === 'node_modules') continue;
    const dir = path.join(base, entry.name);
    if (fs.existsSync(path.join(dir, 'project.json'))) projects.push(dir);
    else projects.push(...walkProjects(dir));
  }
  return projects;
}

/** Whether `relativePath`'s file name follows the rule. */
function isWellNamed(relativePath) {
  const name = path.basename(relativePath);
  if (EXEMPT.has(name) || name.endsWith('.d.ts')) return true;
  if (relativePath.split(path.sep).includes('migrations')) return MIGRATION.test(name);
  return NAMED.test(name);
}

function checkFileNames(root = ROOT) {
  const files = coveredFiles(root);
  return { files: files.length, problems: files.filter((file) => !isWellNamed(file)) };
}

module.exports = { ROLE_SUFFIXES, isWellNamed, checkFileNames };

if (require.main === module) {
  const { files, problems } = checkFileNames();
  if (problems.length > 0) {
    process.stderr.write(`${problems.length} file name(s) without a role suffix (STYLE.md "Naming", docs/adr/0029):\n`);
    for (const problem of problems) process.stderr.write(`  ${problem}\n`);
    process.exit(1);
  }
  process.stdout.write(`file names: ${files} files, each with a role suffix\n`);
}
