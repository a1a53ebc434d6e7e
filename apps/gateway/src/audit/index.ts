import type { Type } from '@nestjs/common';
import { AuditLogsHttpController } from './audit-logs.http.controller';

/** HTTP controllers of the audit routes (the audit trail: list, export, verify); listed in `API_CONTROLLERS`. */
export const AUDIT_HTTP_CONTROLLERS: Type[] = [AuditLogsHttpController];
