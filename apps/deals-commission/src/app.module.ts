import { DEALS_EVENTS_TOPIC } from '@keyhouse/contracts';
import { type DynamicModule, Module } from '@nestjs/common';
import { QueueModule } from '@keyhouse/platform/queue';
import { ServiceCoreModule } from '@keyhouse/platform/service';
import { DEALS_COMMISSION_CONFIG, type DealsCommissionConfig } from './config/deals-commission.config';
import { InitialDealsCommissionSchema1763769600002 } from './database/migrations/1763769600002-initial-deals-commission-schema';
import { DealsDatesFilesInvoices1763769800002 } from './database/migrations/1763769800002-deals-dates-files-invoices';
import { DealsErasedContact1763770000002 } from './database/migrations/1763770000002-deals-erased-contact';
import { DealsClientPortal1763770400002 } from './database/migrations/1763770400002-deals-client-portal';
import { CommissionPlansService } from './modules/commission/commission-plans.service';
import { CommissionStatementsService } from './modules/commission/commission-statements.service';
import { FILE_STORAGE } from './modules/files/file-storage.port';
import { FilesService } from './modules/files/files.service';
import { fileStorageOf } from './modules/files/file-storage.factory';
import { IdentityDirectory } from './modules/identity-directory.service';
import { InvoicesService } from './modules/invoices/invoices.service';
import { OffersService } from './modules/offers/offers.service';
import { PipelinesService } from './modules/pipelines/pipelines.service';
import { ClientContactsConsumer } from './modules/portal/client-contacts.consumer';
import { PortalService } from './modules/portal/portal.service';
import { DealsContactErasureConsumer } from './modules/privacy/contact-erasure.consumer';
import { CommissionReportService } from './modules/reports/commission-report.service';
import { DealSettingsService } from './modules/schedule/deal-settings.service';
import { DEALS_SCHEDULE_QUEUE, DealsScheduleJob } from './modules/schedule/deals-schedule.job';
import { KeyDatesService } from './modules/schedule/key-dates.service';
import { DealReferencesService } from './modules/transactions/deal-references.service';
import { TransactionsService } from './modules/transactions/transactions.service';

export const DEALS_COMMISSION_SERVICE_NAME = 'deals-commission';

/** The deals-commission service: transactions through the pipeline, commission plans and statements, reports, invoices, the client portal. NATS responders (the services' `@RpcHandler` methods), outbox relay, jobs, the crm contact-erasure and client-contact `@OnEvent` handlers; health and metrics on HEALTH_PORT. */
@Module({})
export class DealsCommissionAppModule {
  static forRoot(config: DealsCommissionConfig): DynamicModule {
    return {
      module: DealsCommissionAppModule,
      imports: [
        ServiceCoreModule.forRoot({
          serviceName: DEALS_COMMISSION_SERVICE_NAME,
          platform: config,
          database: {
            url: config.DEALS_COMMISSION_DATABASE_URL,
            schema: config.DEALS_COMMISSION_DATABASE_SCHEMA,
            migrations: [
              InitialDealsCommissionSchema1763769600002,
              DealsDatesFilesInvoices1763769800002,
              DealsErasedContact1763770000002,
              DealsClientPortal1763770400002,
            ],
          },
          opsToken: config.OPS_TOKEN,
          eventTopic: DEALS_EVENTS_TOPIC,
        }),
        QueueModule.registerQueues(DEALS_SCHEDULE_QUEUE),
      ],
      providers: [
        { provide: DEALS_COMMISSION_CONFIG, useValue: config },
        IdentityDirectory,
        DealReferencesService,
        PipelinesService,
        TransactionsService,
        OffersService,
        CommissionPlansService,
        CommissionStatementsService,
        CommissionReportService,
        DealSettingsService,
        KeyDatesService,
        InvoicesService,
        { provide: FILE_STORAGE, useFactory: () => fileStorageOf(config) },
        FilesService,
        DealsScheduleJob,
        DealsContactErasureConsumer,
        ClientContactsConsumer,
        PortalService,
      ],
    };
  }
}
