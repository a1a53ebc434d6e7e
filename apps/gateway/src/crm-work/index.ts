import type { Type } from '@nestjs/common';
import { AgentTasksHttpController, TasksHttpController } from './tasks.http.controller';
import { CompaniesHttpController, SavedRepliesHttpController, TagsHttpController } from './work-tools.http.controller';

/** HTTP controllers of the crm working tools (tasks, companies, saved replies, tags); listed in `API_CONTROLLERS`. */
export const CRM_WORK_HTTP_CONTROLLERS: Type[] = [
  TasksHttpController,
  AgentTasksHttpController,
  CompaniesHttpController,
  SavedRepliesHttpController,
  TagsHttpController,
];
