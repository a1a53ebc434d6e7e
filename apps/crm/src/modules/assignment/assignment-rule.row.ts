import type { Selectable } from 'kysely';
import type { CrmDb } from '../../database/crm.db';

/** A row of `assignment_rule` as node-postgres returns it (declared by the migrations: `crm.db.ts`). */
export type AssignmentRuleRow = Selectable<CrmDb['assignment_rule']>;
