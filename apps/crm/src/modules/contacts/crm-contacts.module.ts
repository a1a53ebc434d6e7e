import { type DynamicModule, Module } from '@nestjs/common';
import { QueueModule } from '@keyhouse/platform/queue';
import { IdentityReadModelConsumer } from '../agents/identity-read-model.consumer';
import { AssignmentEngine, SPEED_TO_LEAD_QUEUE } from '../assignment/assignment-engine.service';
import { AssignmentRulesService } from '../assignment/assignment-rules.service';
import { SpeedToLeadJob } from '../assignment/speed-to-lead.job';
import { IntakeService } from '../intake/intake.service';
import { SCORING_QUEUE, ScoreRefreshJob } from '../scoring/score-refresh.job';
import { SmartListsService } from '../smart-lists/smart-lists.service';
import { ActivityConsumer } from '../timeline/activity.consumer';
import { TimelineService } from '../timeline/timeline.service';
import { ContactLookup } from './contact-lookup.service';
import { ContactImportService } from './contact-import.service';
import { ContactNotesService } from './contact-notes.service';
import { ContactTags } from './contact-tags.service';
import { ContactPrivacyService } from './contact-privacy.service';
import { ContactWriter } from './contact-writer.service';
import { ContactsService } from './contacts.service';
import { CustomFieldsService } from './custom-fields.service';
import { DuplicateDetection } from './duplicate-detection.service';

/**
 * Contacts and leads: the contact model, notes, custom fields, duplicate detection, intake,
 * assignment (rules, ponds, speed-to-lead), scoring, smart lists, the timeline, and the identity
 * read model. The services' own methods answer the NATS contracts (`@RpcHandler`) and the
 * consumers' methods take their events (`@OnEvent`). `CRM_CONFIG` comes from the app module
 * (global provider passed in).
 */
@Module({})
export class CrmContactsModule {
  static forRoot(configProvider: { provide: symbol; useValue: unknown }): DynamicModule {
    const providers = [
      configProvider,
      ContactLookup,
      TimelineService,
      CustomFieldsService,
      DuplicateDetection,
      ContactTags,
      ContactWriter,
      AssignmentEngine,
      ContactsService,
      ContactNotesService,
      ContactPrivacyService,
      ContactImportService,
      IntakeService,
      AssignmentRulesService,
      SpeedToLeadJob,
      IdentityReadModelConsumer,
      SmartListsService,
      ActivityConsumer,
      ScoreRefreshJob,
    ];
    return {
      module: CrmContactsModule,
      imports: [QueueModule.registerQueues(SPEED_TO_LEAD_QUEUE, SCORING_QUEUE)],
      providers,
      exports: [ContactLookup, TimelineService, ContactsService],
    };
  }
}
