import { Controller } from '@nestjs/common';
import {
  CrmSavedReplySubjects as R,
  CrmTagSubjects as T,
  type CrmSavedReplyCreateRequest,
  type CrmSavedReplyListRequest,
  type CrmSavedReplyRenderRequest,
  type CrmSavedReplyUpdateRequest,
  type CrmTagCreateRequest,
  type CrmTagListRequest,
  type CrmTagUpdateRequest,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { SavedRepliesService } from './saved-replies/saved-replies.service';
import { TagsService } from './tags/tags.service';

/** NATS responders for saved replies and tag definitions. */
@Controller()
export class SavedRepliesAndTagsRpcController {
  constructor(
    private readonly replies: SavedRepliesService,
    private readonly tags: TagsService,
  ) {}

  @RpcHandler(R.create)
  replyCreate(envelope: RequestEnvelope<CrmSavedReplyCreateRequest>) {
    return this.replies.create(envelope);
  }

  @RpcHandler(R.list)
  replyList(envelope: RequestEnvelope<CrmSavedReplyListRequest>) {
    return this.replies.list(envelope);
  }

  @RpcHandler(R.get)
  replyGet(envelope: RequestEnvelope<{ id: string }>) {
    return this.replies.get(envelope);
  }

  @RpcHandler(R.update)
  replyUpdate(envelope: RequestEnvelope<CrmSavedReplyUpdateRequest>) {
    return this.replies.update(envelope);
  }

  @RpcHandler(R.delete)
  async replyDelete(envelope: RequestEnvelope<{ id: string }>) {
    await this.replies.delete(envelope);
    return null;
  }

  @RpcHandler(R.render)
  replyRender(envelope: RequestEnvelope<CrmSavedReplyRenderRequest>) {
    return this.replies.render(envelope);
  }

  @RpcHandler(T.create)
  tagCreate(envelope: RequestEnvelope<CrmTagCreateRequest>) {
    return this.tags.create(envelope);
  }

  @RpcHandler(T.list)
  tagList(envelope: RequestEnvelope<CrmTagListRequest>) {
    return this.tags.list(envelope);
  }

  @RpcHandler(T.get)
  tagGet(envelope: RequestEnvelope<{ id: string }>) {
    return this.tags.get(envelope);
  }

  @RpcHandler(T.update)
  tagUpdate(envelope: RequestEnvelope<CrmTagUpdateRequest>) {
    return this.tags.update(envelope);
  }

  @RpcHandler(T.delete)
  async tagDelete(envelope: RequestEnvelope<{ id: string }>) {
    await this.tags.delete(envelope);
    return null;
  }
}
