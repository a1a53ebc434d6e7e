import type { Selectable } from 'kysely';
import type { IdentityDb } from '../../database/identity.db';

/** A row of `app_user` as node-postgres returns it (declared by the migrations: `identity.db.ts`). */
export type AppUserRow = Selectable<IdentityDb['app_user']>;
