/**
 * Shapes the Postgres catalogue cannot tell kysely-codegen about the tables of assignment, the
 * identity read model, smart lists and the work tools, declared once for `crm.db.ts`
 * (`crm.db-overrides.json`) and for the code that builds the values (docs/adr/0027). Wire types
 * come from the contracts; the contact tables' shapes live in `crm-json.type.ts`.
 *
 * - `assignment_rule.conditions`: `CrmAssignmentConditions` (jsonb); `.strategy`: `CrmAssignmentStrategy` (CHECK).
 * - `org_user.working_hours`: `WorkingHoursValue` (jsonb, null = always available).
 * - `smart_list.filters`: `CrmSmartListFilters` (jsonb; tag names stored as `tagIds`).
 * - `company.address`: `CrmCompanyAddress` (jsonb); `.size`: `CrmCompanySize` (CHECK).
 * - `saved_reply.channel`: `CrmSavedReplyChannel`; `tag_definition.scope`: `CrmTagScope` (CHECK).
 * - `task.type`, `.status`, `.priority`: `CrmTaskType`, `CrmTaskStatus`, `CrmTaskPriority` (CHECK).
 */
export type {
  CrmAssignmentConditions,
  CrmAssignmentStrategy,
  CrmCompanyAddress,
  CrmCompanySize,
  CrmSavedReplyChannel,
  CrmSmartListFilters,
  CrmTagScope,
  CrmTaskPriority,
  CrmTaskStatus,
  CrmTaskType,
} from '@keyhouse/contracts';

/**
 * `org_user.working_hours`: an agent's working hours as identity publishes them — ISO weekdays
 * `'1'` (Monday) .. `'7'`, `HH:mm` local times in `timezone`.
 */
export interface WorkingHoursValue {
  timezone: string;
  days: Record<string, Array<{ start: string; end: string }>>;
}
