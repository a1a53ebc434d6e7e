import { Controller } from '@nestjs/common';
import {
  CrmContactSubjects as S,
  type CrmSmartListInput,
  type CrmSmartListUpdateRequest,
  type PageQuery,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { SmartListsService } from './smart-lists.service';

/** NATS responders for smart lists. */
@Controller()
export class SmartListsRpcController {
  constructor(private readonly lists: SmartListsService) {}

  @RpcHandler(S.smartListCreate)
  create(envelope: RequestEnvelope<CrmSmartListInput>) {
    return this.lists.create(envelope);
  }

  @RpcHandler(S.smartListList)
  list(envelope: RequestEnvelope) {
    return this.lists.list(envelope);
  }

  @RpcHandler(S.smartListGet)
  get(envelope: RequestEnvelope<{ id: string }>) {
    return this.lists.get(envelope);
  }

  @RpcHandler(S.smartListUpdate)
  update(envelope: RequestEnvelope<CrmSmartListUpdateRequest>) {
    return this.lists.update(envelope);
  }

  @RpcHandler(S.smartListDelete)
  delete(envelope: RequestEnvelope<{ id: string }>) {
    return this.lists.delete(envelope);
  }

  @RpcHandler(S.smartListContacts)
  contacts(envelope: RequestEnvelope<PageQuery & { id: string }>) {
    return this.lists.contactsOf(envelope);
  }
}
