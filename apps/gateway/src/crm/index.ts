import type { Type } from '@nestjs/common';

/** HTTP controllers of the crm routes (contacts, leads, lead intake, assignment rules, ponds, tasks, companies, smart lists); listed in `API_CONTROLLERS`. */
export const CRM_HTTP_CONTROLLERS: Type[] = [];
