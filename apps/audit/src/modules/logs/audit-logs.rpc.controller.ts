import { Controller } from '@nestjs/common';
import {
  AuditSubjects as S,
  type AuditArchiveListRequest,
  type AuditCheckpointListRequest,
  type AuditLogListRequest,
  type AuditSettingsUpdateRequest,
  type AuditVerifyRequest,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { AuditLogsService } from './audit-logs.service';
import { AuditVerifyService } from './audit-verify.service';

/** NATS responders of the audit trail: list, export pages, verify, checkpoints, archives, settings. */
@Controller()
export class AuditLogsRpcController {
  constructor(
    private readonly logs: AuditLogsService,
    private readonly verifier: AuditVerifyService,
  ) {}

  @RpcHandler(S.list)
  list(envelope: RequestEnvelope<AuditLogListRequest>) {
    return this.logs.list(envelope);
  }

  @RpcHandler(S.exportPage)
  exportPage(envelope: RequestEnvelope<AuditLogListRequest>) {
    return this.logs.exportPage(envelope);
  }

  @RpcHandler(S.verify)
  verify(envelope: RequestEnvelope<AuditVerifyRequest>) {
    return this.verifier.verify(envelope);
  }

  @RpcHandler(S.archivesList)
  archivesList(envelope: RequestEnvelope<AuditArchiveListRequest>) {
    return this.logs.listArchives(envelope);
  }

  @RpcHandler(S.checkpointsList)
  checkpointsList(envelope: RequestEnvelope<AuditCheckpointListRequest>) {
    return this.logs.listCheckpoints(envelope);
  }

  @RpcHandler(S.settingsGet)
  settingsGet(envelope: RequestEnvelope) {
    return this.logs.getSettings(envelope);
  }

  @RpcHandler(S.settingsUpdate)
  settingsUpdate(envelope: RequestEnvelope<AuditSettingsUpdateRequest>) {
    return this.logs.updateSettings(envelope);
  }
}
