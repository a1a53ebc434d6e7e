import type { Type } from '@nestjs/common';
import { AuditLogAliasesHttpController, AuditLogsHttpController } from './audit-logs.http.controller';

/** HTTP controllers of the audit routes (the audit trail: list, export, verify, archives, settings; the seeds' aliases /v1/audit-log and /v1/logs); listed in `API_CONTROLLERS`. */
export const AUDIT_HTTP_CONTROLLERS: Type[] = [AuditLogsHttpController, AuditLogAliasesHttpController];
