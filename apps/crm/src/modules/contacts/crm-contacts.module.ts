import { Module } from '@nestjs/common';
import { AssignmentModule } from '../assignment/assignment.module';
import { ContactsCoreModule } from '../contacts-core/contacts-core.module';
import { CrmWorkModule } from '../work/crm-work.module';
import { ClientLinkConsumer } from './client-link.consumer';
import { ContactConsentConsumer } from './contact-consent.consumer';
import { ContactImportService } from './contact-import.service';
import { ContactMerge } from './contact-merge.service';
import { ContactNotesService } from './contact-notes.service';
import { ContactPrivacyService } from './contact-privacy.service';
import { ContactsService } from './contacts.service';
import { LeadSourcesService } from './lead-sources.service';
import { ProposedDetailsService } from './proposed-details.service';

/**
 * The contacts API: create, list, read, update, delete, merge, manual and bulk assignment, bulk
 * changes, CSV import, notes, privacy export and erasure, acceptance of details proposed by public
 * submissions, the link of verified client users to their contacts, and the organization's lead
 * sources with their report (`LeadSourcesService`; the services' own methods answer the
 * NATS contracts with `@RpcHandler`). Depends on the contacts core, assignment (routing of new
 * contacts, manual assignment) and work (a merge moves tasks with `TasksService.moveToContact`).
 * Exports `ContactsService` (its `list` evaluates smart lists).
 */
@Module({
  imports: [ContactsCoreModule, AssignmentModule, CrmWorkModule],
  providers: [
    ContactsService,
    ContactMerge,
    ContactImportService,
    ContactNotesService,
    ContactPrivacyService,
    ProposedDetailsService,
    ClientLinkConsumer,
    ContactConsentConsumer,
    LeadSourcesService,
  ],
  exports: [ContactsService],
})
export class CrmContactsModule {}
