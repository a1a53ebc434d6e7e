import { Controller } from '@nestjs/common';
import {
  ListingsEngagementSubjects as S,
  type ContactListingListRequest,
  type ContactListingPutRequest,
  type PropertyViewRecordRequest,
  type RequestEnvelope,
  type SavedSearchCreateRequest,
  type SavedSearchListRequest,
  type ListingsShareRequest,
} from '@keyhouse/contracts';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { EngagementService } from './engagement.service';

/** NATS responders for property views, contact interest and saved searches. */
@Controller()
export class EngagementRpcController {
  constructor(private readonly engagement: EngagementService) {}

  @RpcHandler(S.recordView)
  recordView(envelope: RequestEnvelope<PropertyViewRecordRequest>) {
    return this.engagement.recordView(envelope);
  }

  @RpcHandler(S.interestPut)
  putInterest(envelope: RequestEnvelope<ContactListingPutRequest>) {
    return this.engagement.putInterest(envelope);
  }

  @RpcHandler(S.interestList)
  listInterests(envelope: RequestEnvelope<ContactListingListRequest>) {
    return this.engagement.listInterests(envelope);
  }

  @RpcHandler(S.savedSearchCreate)
  createSavedSearch(envelope: RequestEnvelope<SavedSearchCreateRequest>) {
    return this.engagement.createSavedSearch(envelope);
  }

  @RpcHandler(S.savedSearchList)
  listSavedSearches(envelope: RequestEnvelope<SavedSearchListRequest>) {
    return this.engagement.listSavedSearches(envelope);
  }

  @RpcHandler(S.savedSearchDelete)
  async deleteSavedSearch(envelope: RequestEnvelope<{ id: string }>) {
    await this.engagement.deleteSavedSearch(envelope);
    return {};
  }

  @RpcHandler(S.shareCreate)
  share(envelope: RequestEnvelope<ListingsShareRequest>) {
    return this.engagement.share(envelope);
  }

  @RpcHandler(S.shareDelete)
  async unshare(envelope: RequestEnvelope<ListingsShareRequest>) {
    await this.engagement.unshare(envelope);
    return {};
  }
}
