import { type DynamicModule, Module } from '@nestjs/common';
import { ServiceCoreModule } from '@keyhouse/platform/service';
import { CrmConfigModule } from './config/crm-config.module';
import type { CrmConfig } from './config/crm.config';
import { IdentityReadModelModule } from './modules/agents/identity-read-model.module';
import { AssignmentModule } from './modules/assignment/assignment.module';
import { CrmContactsModule } from './modules/contacts/crm-contacts.module';
import { ContactsCoreModule } from './modules/contacts-core/contacts-core.module';
import { IntakeModule } from './modules/intake/intake.module';
import { ScoringModule } from './modules/scoring/scoring.module';
import { SmartListsModule } from './modules/smart-lists/smart-lists.module';
import { TimelineModule } from './modules/timeline/timeline.module';
import { CrmWorkModule } from './modules/work/crm-work.module';
import { CRM_MIGRATIONS } from './database/crm-migrations.constant';

export const CRM_SERVICE_NAME = 'crm';

/** The crm service: contacts and leads, the organization's lead sources, lead intake, duplicate detection, assignment, scoring, smart lists, tasks and work tools, and the activity timeline. NATS responders, outbox relay and jobs; health and metrics on HEALTH_PORT. */
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
            migrations: CRM_MIGRATIONS,
          },
          opsToken: config.OPS_TOKEN,
        }),
        CrmConfigModule.forRoot(config),
        // Module dependencies (no cycles; eslint.config.mjs enforces the direction): contacts core
        // <- assignment <- intake; core <- timeline, scoring; core, assignment, work <- contacts
        // <- smart lists; the identity read model (agents, with AgentDirectory's read-your-writes)
        // <- assignment, work.
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
