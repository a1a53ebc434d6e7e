import { Controller } from '@nestjs/common';
import {
  ListingsMlsSubjects as S,
  type MlsRunListRequest,
  type MlsSourceCreateRequest,
  type MlsSourceUpdateRequest,
  type MlsWebhookRequest,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { MlsIngestService } from './mls-ingest.service';
import { MlsSourcesService } from './mls-sources.service';
import { MlsSyncJob } from './mls-sync.job';

/** NATS responders for MLS sources, sync runs and the partner webhook. */
@Controller()
export class MlsRpcController {
  constructor(
    private readonly sources: MlsSourcesService,
    private readonly sync: MlsSyncJob,
    private readonly ingest: MlsIngestService,
  ) {}

  @RpcHandler(S.sourceCreate)
  create(envelope: RequestEnvelope<MlsSourceCreateRequest>) {
    return this.sources.create(envelope);
  }

  @RpcHandler(S.sourceUpdate)
  update(envelope: RequestEnvelope<MlsSourceUpdateRequest>) {
    return this.sources.update(envelope);
  }

  @RpcHandler(S.sourceDelete)
  async remove(envelope: RequestEnvelope<{ id: string }>) {
    await this.sources.remove(envelope);
    return {};
  }

  @RpcHandler(S.sourceList)
  list(envelope: RequestEnvelope<{ cursor?: string; limit?: number }>) {
    return this.sources.list(envelope);
  }

  @RpcHandler(S.sourceSync)
  syncNow(envelope: RequestEnvelope<{ id: string }>) {
    return this.sync.syncNow(envelope);
  }

  @RpcHandler(S.runList)
  runs(envelope: RequestEnvelope<MlsRunListRequest>) {
    return this.sources.runs(envelope);
  }

  @RpcHandler(S.webhook)
  webhook(envelope: RequestEnvelope<MlsWebhookRequest>) {
    return this.ingest.webhook(envelope);
  }
}
