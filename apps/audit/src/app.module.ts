import { type DynamicModule, Module } from '@nestjs/common';
import { ServiceCoreModule } from '@keyhouse/platform/service';
import { AUDIT_CONFIG, type AuditConfig } from './config/audit.config';
import { InitialAuditSchema1763769600003 } from './database/migrations/1763769600003-initial-audit-schema';

export const AUDIT_SERVICE_NAME = 'audit';

/** The audit service: the append-only, hash-chained audit trail fed by the event stream. NATS responders, outbox relay and jobs; health and metrics on HEALTH_PORT. */
@Module({})
export class AuditAppModule {
  static forRoot(config: AuditConfig): DynamicModule {
    return {
      module: AuditAppModule,
      imports: [
        ServiceCoreModule.forRoot({
          serviceName: AUDIT_SERVICE_NAME,
          platform: config,
          database: {
            url: config.AUDIT_DATABASE_URL,
            schema: config.AUDIT_DATABASE_SCHEMA,
            migrations: [InitialAuditSchema1763769600003],
          },
          opsToken: config.OPS_TOKEN,
        }),
      ],
      controllers: [],
      providers: [{ provide: AUDIT_CONFIG, useValue: config }],
    };
  }
}
