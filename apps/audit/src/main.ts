import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bootstrapService, runIfMain } from '@keyhouse/platform/service';
import { AuditAppModule, AUDIT_SERVICE_NAME } from './app.module';
import { loadAuditConfig } from './config/audit.config';
import { migrateAuditSchema } from './database/audit-migrations.constant';

/**
 * Starts the audit service: migrations as the schema owner (`migrateAuditSchema`), then, as the
 * runtime role, NATS responders, outbox relay, jobs, `/health/*` and `/metrics` on HEALTH_PORT.
 */
export async function startAudit(env: NodeJS.ProcessEnv = process.env): Promise<NestFastifyApplication> {
  const config = loadAuditConfig(env);
  await migrateAuditSchema(config);
  return bootstrapService({
    serviceName: AUDIT_SERVICE_NAME,
    module: AuditAppModule.forRoot(config),
    healthPort: config.HEALTH_PORT,
    logLevel: config.LOG_LEVEL,
  });
}

runIfMain(module, AUDIT_SERVICE_NAME, startAudit);
