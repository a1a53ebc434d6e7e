import path from 'node:path';
import { createRequire } from 'node:module';

/**
 * The exact statement identity runs for `GET /v1/users/me`: `USER_ME_QUERY`
 * (apps/identity/src/modules/users/user.queries.ts, a `definePreparedQuery` compiled once from the
 * generated row types), read from the compiled module so the references can never drift from the
 * app's query. Parameters are `[userId, orgId]` (checked against the statement's own order).
 *
 * @throws when the compiled module has no `USER_ME_QUERY` or its parameters are in another order.
 */
export function identityUserMeStatement(root, identityBuildDir) {
  const compiled = path.resolve(identityBuildDir, 'apps/identity/src/modules/users/user.queries.js');
  const { USER_ME_QUERY } = createRequire(compiled)(compiled);
  if (!USER_ME_QUERY || typeof USER_ME_QUERY.text !== 'string') {
    throw new Error(`USER_ME_QUERY not exported by ${compiled}; update bench/lib/identity-sql.mjs`);
  }
  const order = USER_ME_QUERY.values({ userId: 'USER', orgId: 'ORG' });
  if (order.length !== 2 || order[0] !== 'USER' || order[1] !== 'ORG') {
    throw new Error(`USER_ME_QUERY's parameters are ${JSON.stringify(order)}, not [userId, orgId]; update the bench's reference chains`);
  }
  return { name: USER_ME_QUERY.name, sql: USER_ME_QUERY.text };
}
