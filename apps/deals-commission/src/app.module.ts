import { type DynamicModule, Module } from '@nestjs/common';
import { ServiceCoreModule } from '@keyhouse/platform/service';
import { DEALS_COMMISSION_CONFIG, type DealsCommissionConfig } from './config/deals-commission.config';
import { InitialDealsCommissionSchema1763769600002 } from './database/migrations/1763769600002-initial-deals-commission-schema';
import { CommissionPlansService } from './modules/commission/commission-plans.service';
import { CommissionRpcController } from './modules/commission/commission.rpc.controller';
import { CommissionStatementsService } from './modules/commission/commission-statements.service';
import { DealsEvents } from './modules/deals-events.service';
import { IdentityDirectory } from './modules/identity-directory.service';
import { OffersService } from './modules/offers/offers.service';
import { PipelinesService } from './modules/pipelines/pipelines.service';
import { CommissionReportService } from './modules/reports/commission-report.service';
import { TransactionsRpcController } from './modules/transactions/transactions.rpc.controller';
import { TransactionsService } from './modules/transactions/transactions.service';

export const DEALS_COMMISSION_SERVICE_NAME = 'deals-commission';

/** The deals-commission service: transactions through the pipeline, commission plans and statements, reports, invoices. NATS responders, outbox relay and jobs; health and metrics on HEALTH_PORT. */
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
            migrations: [InitialDealsCommissionSchema1763769600002],
          },
          opsToken: config.OPS_TOKEN,
        }),
      ],
      controllers: [TransactionsRpcController, CommissionRpcController],
      providers: [
        { provide: DEALS_COMMISSION_CONFIG, useValue: config },
        DealsEvents,
        IdentityDirectory,
        PipelinesService,
        TransactionsService,
        OffersService,
        CommissionPlansService,
        CommissionStatementsService,
        CommissionReportService,
      ],
    };
  }
}
