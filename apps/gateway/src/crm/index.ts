import type { Type } from '@nestjs/common';
import { AssignmentRulesHttpController, PondsHttpController } from './assignment.http.controller';
import { ContactFieldsHttpController, ContactsHttpController, LeadsHttpController } from './contacts.http.controller';
import { LeadSourceReportsHttpController, LeadSourcesHttpController } from './lead-sources.http.controller';
import { SmartListsHttpController } from './smart-lists.http.controller';
import { ContactEmailActivityHttpController } from './contact-email-activity.http.controller';
import { LeadEventsHttpController, PublicClientsHttpController, PublicLeadsHttpController } from './intake.http.controller';

/** HTTP controllers of the crm routes (contacts, leads, lead intake, assignment rules, ponds, tasks, companies, smart lists, lead sources and their report); listed in `API_CONTROLLERS`. */
export const CRM_HTTP_CONTROLLERS: Type[] = [
  ContactsHttpController,
  LeadsHttpController,
  ContactFieldsHttpController,
  LeadEventsHttpController,
  PublicLeadsHttpController,
  PublicClientsHttpController,
  AssignmentRulesHttpController,
  PondsHttpController,
  SmartListsHttpController,
  LeadSourcesHttpController,
  LeadSourceReportsHttpController,
  ContactEmailActivityHttpController,
];
