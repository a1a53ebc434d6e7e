import { type DynamicModule, Global, Module } from '@nestjs/common';
import { QueueModule } from '@keyhouse/platform/queue';
import { ServiceCoreModule } from '@keyhouse/platform/service';
import { AUDIT_CONFIG, type AuditConfig } from './config/audit.config';
import { AUDIT_ARCHIVE_QUEUE, AuditArchiveJob } from './modules/archive/audit-archive.job';
import { AUDIT_CHECKPOINT_QUEUE, AuditCheckpointJob } from './modules/checkpoint/audit-checkpoint.job';
import { AuditCheckpointStore } from './modules/checkpoint/audit-checkpoint-store.service';
import { AuditIngestConsumer } from './modules/ingest/audit-ingest.consumer';
import { AuditLedger } from './modules/ledger/audit-ledger.service';
import { AuditLogsService } from './modules/logs/audit-logs.service';
import { AuditVerifyService } from './modules/logs/audit-verify.service';

export const AUDIT_SERVICE_NAME = 'audit';

/** The audit configuration, the ledger, the checkpoint store and the Kafka ingest (`@OnEventBatch`), global for the jobs and services. */
@Global()
@Module({})
export class AuditIngestModule {
  static forRoot(config: AuditConfig): DynamicModule {
    const providers = [{ provide: AUDIT_CONFIG, useValue: config }, AuditLedger, AuditCheckpointStore, AuditIngestConsumer];
    return { module: AuditIngestModule, providers, exports: providers };
  }
}

/**
 * The audit service: the append-only, hash-chained audit trail fed by the event stream (the batch
 * consumer `audit.trail` of every service's topic and the gateway's refusals, run by the chassis'
 * event handler registry), NATS responders for reading and verifying it (`@RpcHandler` on
 * `AuditLogsService` and `AuditVerifyService`), the checkpoint and archive jobs; health (the
 * registry's `event-consumers` liveness included) and metrics on HEALTH_PORT.
 */
@Module({})
export class AuditAppModule {
  static forRoot(config: AuditConfig): DynamicModule {
    return {
      module: AuditAppModule,
      imports: [
        AuditIngestModule.forRoot(config),
        ServiceCoreModule.forRoot({
          serviceName: AUDIT_SERVICE_NAME,
          platform: config,
          database: {
            url: config.AUDIT_DATABASE_URL,
            schema: config.AUDIT_DATABASE_SCHEMA,
            // migrations run before, as the schema owner (migrateAuditSchema, docs/adr/0020)
            migrations: [],
          },
          opsToken: config.OPS_TOKEN,
        }),
        QueueModule.registerQueues(AUDIT_CHECKPOINT_QUEUE, AUDIT_ARCHIVE_QUEUE),
      ],
      providers: [AuditLogsService, AuditVerifyService, AuditCheckpointJob, AuditArchiveJob],
    };
  }
}
