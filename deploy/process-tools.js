'use strict';
/**
 * Helpers shared by `npm start` and `npm test`: install dependencies when missing, and build.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/** Runs a command in the repository root, inheriting stdio; throws on a non-zero exit. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', env: process.env, ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  }
}

/**
 * `npm install` when node_modules is absent or older than package-lock.json (`npm ci` refuses the
 * lock files npm 11 writes, which leave out other platforms' optional packages).
 */
function ensureDependencies() {
  const lock = path.join(ROOT, 'package-lock.json');
  const installed = path.join(ROOT, 'node_modules', '.package-lock.json');
  if (fs.existsSync(installed) && fs.statSync(installed).mtimeMs >= fs.statSync(lock).mtimeMs) return;
  process.stdout.write('Installing npm dependencies (npm install)...\n');
  run('npm', ['install', '--no-audit', '--no-fund']);
}

module.exports = { ROOT, run, ensureDependencies };
