import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

/**
 * The exact statement identity runs for `GET /v1/users/me`: its name and SQL text as written in
 * `UserQueries.me()` (apps/identity/src/modules/users/user.queries.ts), with `USER_VIEW_COLUMNS`
 * taken from the compiled module, so the references can never drift from the app's query.
 * Parameters are `[userId, orgId]`.
 */
export function identityUserMeStatement(root, identityBuildDir) {
  const sourceFile = path.join(root, 'apps/identity/src/modules/users/user.queries.ts');
  const source = fs.readFileSync(sourceFile, 'utf8');
  const me =
    /(?:async )?me\(userId: string, orgId: string\)[\s\S]*?preparedQuery<\w+>\(\s*this\.dataSource,\s*'([^']+)',\s*`([^`]+)`,\s*\[userId, orgId\]/.exec(
      source,
    );
  if (!me) {
    throw new Error(`Cannot find the prepared statement of UserQueries.me() in ${sourceFile}; update bench/lib/identity-sql.mjs`);
  }
  const compiled = path.resolve(identityBuildDir, 'apps/identity/src/modules/users/user.queries.js');
  const { USER_VIEW_COLUMNS } = createRequire(compiled)(compiled);
  if (typeof USER_VIEW_COLUMNS !== 'string') throw new Error(`USER_VIEW_COLUMNS not exported by ${compiled}`);
  const sql = me[2].replace('${USER_VIEW_COLUMNS}', USER_VIEW_COLUMNS);
  if (sql.includes('${')) throw new Error(`Unexpected interpolation left in the statement: ${me[2]}`);
  return { name: me[1], sql };
}
