'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { isWellNamed, checkFileNames } = require('./check-file-names');

test('role suffixes of STYLE.md and ADR 0029 are accepted, with or without .spec', () => {
  for (const name of [
    'contact-merge.service.ts',
    'contacts.http.controller.ts',
    'rate-limit.guard.ts',
    'request-envelope.codec.ts',
    'audit.db.ts',
    'file-storage.port.ts',
    's3-file-storage.adapter.ts',
    'crm-contacts.rpc.ts',
    'contact-merge.service.spec.ts',
    'contacts.integration-spec.ts',
    'redis-health.service.spec.ts',
  ]) {
    assert.equal(isWellNamed(path.join('apps', 'crm', 'src', name)), true, name);
  }
});

test('a file without a role suffix, or not kebab-case, is refused', () => {
  for (const name of ['contact-state.ts', 'fixtures.ts', 'ContactService.ts', 'contact_merge.service.ts', 'contact.model.ts', 'spec.ts']) {
    assert.equal(isWellNamed(path.join('apps', 'crm', 'src', name)), false, name);
  }
});

test('entry points and declarations are exempt; migrations follow <epoch>-<kebab-name>.ts', () => {
  assert.equal(isWellNamed('libs/util/src/index.ts'), true);
  assert.equal(isWellNamed('apps/crm/src/main.ts'), true);
  assert.equal(isWellNamed('libs/util/src/globals.d.ts'), true);
  assert.equal(isWellNamed('apps/crm/src/database/migrations/1763769600000-initial-crm-schema.ts'), true);
  assert.equal(isWellNamed('apps/crm/src/database/migrations/initial-crm-schema.ts'), false);
});

test('checkFileNames walks the src and test folders of every Nx project and names the offenders', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-file-names-'));
  try {
    const write = (file) => {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), '');
    };
    write('apps/crm/project.json');
    write('apps/crm/src/contacts.service.ts');
    write('apps/crm/test/support/stack.ts');
    write('libs/platform/auth/project.json');
    write('libs/platform/auth/src/secret-cipher.ts');
    write('libs/platform/auth/node_modules/x/y.ts');
    write('tools/loose.ts');
    const result = checkFileNames(root);
    assert.equal(result.files, 3);
    assert.deepEqual(result.problems.sort(), [
      path.join('apps/crm/test/support/stack.ts'),
      path.join('libs/platform/auth/src/secret-cipher.ts'),
    ]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
