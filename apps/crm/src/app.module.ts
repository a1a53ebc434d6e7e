import { type DynamicModule, Module } from '@nestjs/common';
import { ServiceCoreModule } from '@keyhouse/platform/service';
import { CrmConfigModule } from './config/crm-config.module';
import type { CrmConfig } from './config/crm.config';
import { InitialCrmSchema1763769600000 } from './database/migrations/1763769600000-initial-crm-schema';
import { CrmWorkSchema1763769700000 } from './database/migrations/1763769700000-crm-work-schema';
import { CrmContactTagDefinitions1763769900000 } from './database/migrations/1763769900000-crm-contact-tag-definitions';
import { IdentityReadModelModule } from './modules/agents/identity-read-model.module';
import { AssignmentModule } from './modules/assignment/assignment.module';
import { CrmContactsModule } from './modules/contacts/crm-contacts.module';
import { ContactsCoreModule } from './modules/contacts-core/contacts-core.module';
import { IntakeModule } from './modules/intake/intake.module';
import { ScoringModule } from './modules/scoring/scoring.module';
import { SmartListsModule } from './modules/smart-lists/smart-lists.module';
import { TimelineModule } from './modules/timeline/timeline.module';
import { CrmWorkModule } from './modules/work/crm-work.module';

export const CRM_SERVICE_NAME = 'crm';

/** The crm service: contacts and leads, lead intake, duplicate detection, assignment, scoring, smart lists, tasks and work tools, and the activity timeline. NATS responders, outbox relay and jobs; health and metrics on HEALTH_PORT. */
@Module({})
export class CrmAppModule {
  static forRoot(config: CrmConfig): DynamicModule {
    return {
      module: CrmAppModule,
      imports: [
        ServiceCoreModule.forRoot({
          serviceName: CRM_SERVICE_NAME,
          platform: config,
          database: {
            url: config.CRM_DATABASE_URL,
            schema: config.CRM_DATABASE_SCHEMA,
            migrations: [InitialCrmSchema1763769600000, CrmWorkSchema1763769700000, CrmContactTagDefinitions1763769900000],
          },
          opsToken: config.OPS_TOKEN,
        }),
        CrmConfigModule.forRoot(config),
        // Module dependencies (no cycles; eslint.config.mjs enforces the direction): contacts core
        // <- assignment <- intake; core <- timeline, scoring; core, assignment, work <- contacts
        // <- smart lists; the identity read model and work tools stand alone.
        ContactsCoreModule,
        AssignmentModule,
        IntakeModule,
        CrmContactsModule,
        TimelineModule,
        ScoringModule,
        SmartListsModule,
        CrmWorkModule,
        IdentityReadModelModule,
      ],
    };
  }
}
