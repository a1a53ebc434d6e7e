'use strict';
/**
 * `npm test`: everything, against the real local Postgres, NATS, Redis and Kafka. Installs what is
 * missing, prepares the infrastructure, then runs lint, the format check (Prettier), type checks, the API documents check
 * (`deploy/api-docs.js --check`), the row shapes check (`deploy/db-types.js --check`: the generated
 * `apps/<svc>/src/database/<svc>.db.ts` equal what the migrations produce), manifest lint, the deploy script tests, the unit suites and
 * the integration suites, and closes with one line
 * `tests: N passed, M failed`. Exits non-zero when any step fails.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, ensureDependencies } = require('./process-tools');

function step(name, command, args, env) {
  const started = Date.now();
  process.stdout.write(`\n=== ${name}: ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  process.stdout.write(result.stdout ?? '');
  process.stderr.write(result.stderr ?? '');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  return { name, ok: result.status === 0, seconds, output: `${result.stdout ?? ''}\n${result.stderr ?? ''}` };
}

function jestCounts(file) {
  try {
    const report = JSON.parse(fs.readFileSync(file, 'utf8'));
    return { passed: report.numPassedTests, failed: report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0) };
  } catch {
    return { passed: 0, failed: 1 };
  }
}

function nodeTestCounts(output) {
  const pass = /^# pass (\d+)$/m.exec(output);
  const fail = /^# fail (\d+)$/m.exec(output);
  return { passed: pass ? Number(pass[1]) : 0, failed: fail ? Number(fail[1]) : 1 };
}

async function main() {
  ensureDependencies();
  const { prepareInfrastructure } = require('./infra');
  const infraEnv = await prepareInfrastructure();
  const env = { ...process.env, ...infraEnv, FORCE_COLOR: '0', NX_DAEMON: 'false' };
  fs.mkdirSync(path.join(ROOT, 'tmp'), { recursive: true });
  const unitReport = path.join(ROOT, 'tmp', 'jest-unit.json');
  const integrationReport = path.join(ROOT, 'tmp', 'jest-integration.json');
  for (const file of [unitReport, integrationReport]) fs.rmSync(file, { force: true });

  const steps = [];
  // The module-boundary lint rule reads Nx's project graph; computing it first makes the rule run.
  steps.push(step('project graph', 'npx', ['nx', 'show', 'projects'], env));
  steps.push(step('lint', 'npx', ['eslint', '.', '--max-warnings=0'], env));
  steps.push(step('format', 'npm', ['run', '--silent', 'format:check'], env));
  steps.push(step('typecheck', 'npx', ['tsc', '-p', 'tsconfig.base.json', '--noEmit'], env));
  steps.push(step('API documents', process.execPath, ['deploy/api-docs.js', '--check'], env));
  steps.push(step('row shapes', process.execPath, ['deploy/db-types.js', '--check'], env));
  steps.push(step('module boundaries and tags', process.execPath, ['deploy/check-project-tags.js'], env));
  steps.push(step('file names', process.execPath, ['deploy/check-file-names.js'], env));
  steps.push(step('manifests', process.execPath, ['deploy/lint-manifests.js'], env));
  const deployTestFiles = fs
    .readdirSync(path.join(ROOT, 'deploy'))
    .filter((file) => file.endsWith('.test.js'))
    .map((file) => path.join('deploy', file));
  const deployTests = step('deploy scripts', process.execPath, ['--test', '--test-reporter=tap', ...deployTestFiles], env);
  steps.push(deployTests);
  const unit = step('unit tests', 'npx', ['jest', '-c', 'jest.config.js', '--ci', '--json', `--outputFile=${unitReport}`], env);
  steps.push(unit);
  const integration = step(
    'integration tests',
    'npx',
    ['jest', '-c', 'jest.integration.config.js', '--ci', '--maxWorkers=2', '--json', `--outputFile=${integrationReport}`],
    env,
  );
  steps.push(integration);

  const counts = [nodeTestCounts(deployTests.output), jestCounts(unitReport), jestCounts(integrationReport)];
  const checksFailed = steps.filter((s) => !s.ok && !['deploy scripts', 'unit tests', 'integration tests'].includes(s.name)).length;
  const passed = counts.reduce((sum, c) => sum + c.passed, 0);
  const failed = counts.reduce((sum, c) => sum + c.failed, 0) + checksFailed;
  process.stdout.write('\n=== summary\n');
  for (const s of steps) process.stdout.write(`${s.ok ? 'ok  ' : 'FAIL'} ${s.name} (${s.seconds} s)\n`);
  process.stdout.write(`tests: ${passed} passed, ${failed} failed\n`);
  process.exit(steps.every((s) => s.ok) && failed === 0 ? 0 : 1);
}

main().catch((error) => {
  process.stderr.write(`npm test failed before running the suites: ${error.message}\n`);
  process.exit(1);
});
