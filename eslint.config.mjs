// Lint rules for the whole workspace. Module boundaries (STYLE.md, "Boundaries"): tags on two
// axes, scope:<service|gateway|shared> and type:<app|contracts|platform|util|testing>.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

/**
 * The crm service's Nest modules (folders of apps/crm/src/modules) and the crm modules each one may
 * import from: contacts core <- assignment <- intake; core <- timeline, scoring; core, assignment,
 * work <- contacts <- smart lists. A directed acyclic graph, so no two modules depend on each other
 * through any chain of files; `shared` holds plain helpers only. A new module gets a line here.
 */
const CRM_MODULE_DEPENDENCIES = {
  shared: [],
  'contacts-core': ['shared'],
  agents: [],
  work: ['shared', 'contacts-core', 'agents'],
  assignment: ['shared', 'contacts-core', 'agents'],
  intake: ['shared', 'contacts-core', 'assignment'],
  contacts: ['shared', 'contacts-core', 'assignment', 'work'],
  timeline: ['shared', 'contacts-core'],
  scoring: ['shared', 'contacts-core'],
  'smart-lists': ['contacts'],
};
const CRM_MODULES = 'apps/crm/src/modules';
const crmModuleZones = Object.entries(CRM_MODULE_DEPENDENCIES).map(([module, allowed]) => ({
  target: `${CRM_MODULES}/${module}`,
  from: Object.keys(CRM_MODULE_DEPENDENCIES)
    .filter((other) => other !== module && !allowed.includes(other))
    .map((other) => `${CRM_MODULES}/${other}`),
  message: `crm module '${module}' may import only from ${allowed.length ? allowed.join(', ') : 'no other crm module'} (eslint.config.mjs, CRM_MODULE_DEPENDENCIES).`,
}));

export default [
  {
    ignores: [
      '**/dist',
      '**/node_modules',
      '**/tmp',
      '**/.nx',
      'docs/**',
      'coverage/**',
      'bench/.build/**',
      'bench/*/.build/**',
      'bench/results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:contracts', 'type:platform', 'type:util'] },
            { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:contracts', 'type:platform', 'type:util'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:contracts', 'type:util'] },
            {
              sourceTag: 'type:contracts',
              onlyDependOnLibsWithTags: ['type:contracts'],
              bannedExternalImports: ['typeorm', 'kafkajs', 'nats', 'bull', 'ioredis', 'pg', '@nestjs/*'],
            },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:contracts', 'type:platform', 'type:util'] },
            {
              sourceTag: 'scope:gateway',
              onlyDependOnLibsWithTags: ['scope:shared'],
              bannedExternalImports: ['typeorm', 'pg', '@nestjs/typeorm'],
            },
            { sourceTag: 'scope:identity', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:crm', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:listings', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:deals-commission', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:audit', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:notifications', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
          ],
        },
      ],
    },
  },
  {
    // No import cycles between source files (apps and libs, specs excluded): a cycle makes load
    // order matter and hides a missing module boundary. `@keyhouse/*` aliases resolve through
    // tsconfig.base.json's paths, so cycles through a library's index are found too. Inside crm,
    // modules import each other only along CRM_MODULE_DEPENDENCIES.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.integration-spec.ts', '**/test/**'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [
        createNodeResolver({ extensions: ['.ts', '.js', '.json'], tsconfig: { configFile: 'tsconfig.base.json' } }),
      ],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { basePath: ROOT, zones: crmModuleZones }],
    },
  },
  {
    // Tests and bench may use the testing library and print.
    files: ['**/*.spec.ts', '**/*.integration-spec.ts', '**/test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': 'off',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-console': 'off' },
  },
];
