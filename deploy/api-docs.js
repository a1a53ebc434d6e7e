'use strict';
/**
 * The REST API's published documents, generated from the gateway's controllers and DTOs:
 *   docs/api/openapi.json   OpenAPI 3 document (the same as GET /docs-json on a running gateway)
 *
 *   node deploy/api-docs.js          build the gateway and write the documents
 *   node deploy/api-docs.js --check  exit 1 when a committed document differs from the code
 *
 * The document comes from Nest's preview mode (no provider is instantiated, so nothing needs to be
 * running). `npm test` runs the check, so a route change without its regenerated docs fails CI.
 */
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const OPENAPI_FILE = path.join(ROOT, 'docs', 'api', 'openapi.json');

function buildGateway() {
  execFileSync(process.execPath, [require.resolve('nx/bin/nx.js'), 'run', 'gateway:build', '--outputStyle=static'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function generate() {
  buildGateway();
  const main = require(path.join(ROOT, 'dist/apps/gateway/apps/gateway/src/main.js'));
  const document = await main.createOpenApiDocument({});
  return { [OPENAPI_FILE]: `${JSON.stringify(document, null, 2)}\n` };
}

async function run(argv) {
  const check = argv.includes('--check');
  const files = await generate();
  const stale = [];
  for (const [file, content] of Object.entries(files)) {
    const relative = path.relative(ROOT, file);
    if (check) {
      const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
      if (current !== content) stale.push(relative);
    } else {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
      process.stdout.write(`wrote ${relative}\n`);
    }
  }
  if (stale.length > 0) {
    process.stderr.write(`API documents out of date: ${stale.join(', ')}. Run \`npm run docs:api\` and commit the result.\n`);
    return 1;
  }
  if (check) process.stdout.write(`API documents current: ${Object.keys(files).map((f) => path.relative(ROOT, f)).join(', ')}\n`);
  return 0;
}

if (require.main === module) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`${error.stack ?? error}\n`);
      process.exit(1);
    },
  );
}

module.exports = { run };
