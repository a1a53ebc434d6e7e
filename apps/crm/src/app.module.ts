import { type DynamicModule, Module } from '@nestjs/common';
import { ServiceCoreModule } from '@keyhouse/platform/service';
import { CRM_CONFIG, type CrmConfig } from './config/crm.config';
import { InitialCrmSchema1763769600000 } from './database/migrations/1763769600000-initial-crm-schema';
import { CrmWorkSchema1763769700000 } from './database/migrations/1763769700000-crm-work-schema';
import { CrmContactTagDefinitions1763769900000 } from './database/migrations/1763769900000-crm-contact-tag-definitions';
import { CrmContactsModule } from './modules/contacts/crm-contacts.module';
import { CrmWorkModule } from './modules/work/crm-work.module';

export const CRM_SERVICE_NAME = 'crm';

/** The crm service: contacts and leads, lead intake, duplicate detection, assignment, scoring, tasks and the activity timeline. NATS responders, outbox relay and jobs; health and metrics on HEALTH_PORT. */
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
        CrmContactsModule.forRoot({ provide: CRM_CONFIG, useValue: config }),
        CrmWorkModule,
      ],
      controllers: [],
      providers: [{ provide: CRM_CONFIG, useValue: config }],
    };
  }
}
