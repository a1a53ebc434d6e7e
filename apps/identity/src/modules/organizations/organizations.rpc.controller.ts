import { Controller } from '@nestjs/common';
import {
  IdentityOrganizationSubjects as S,
  type ApiKeyCreateRequest,
  type LocalMailboxListRequest,
  type OrganizationUpdateRequest,
  type PageQuery,
  type RequestEnvelope,
  type ResolveFormKeyRequest,
} from '@keyhouse/contracts';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { LocalMailboxService } from '../mail/local-mailbox.service';
import { OrganizationsService } from './organizations.service';

/** NATS responders for the organization, its API keys and the local mailbox. */
@Controller()
export class OrganizationsRpcController {
  constructor(
    private readonly organizations: OrganizationsService,
    private readonly apiKeys: ApiKeysService,
    private readonly mailbox: LocalMailboxService,
  ) {}

  @RpcHandler(S.getCurrent)
  getCurrent(envelope: RequestEnvelope) {
    return this.organizations.getCurrent(envelope);
  }

  @RpcHandler(S.resolveFormKey)
  resolveFormKey(envelope: RequestEnvelope<ResolveFormKeyRequest>) {
    return this.organizations.resolveFormKey(envelope);
  }

  @RpcHandler(S.updateCurrent)
  updateCurrent(envelope: RequestEnvelope<OrganizationUpdateRequest>) {
    return this.organizations.updateCurrent(envelope);
  }

  @RpcHandler(S.apiKeyCreate)
  apiKeyCreate(envelope: RequestEnvelope<ApiKeyCreateRequest>) {
    return this.apiKeys.create(envelope);
  }

  @RpcHandler(S.apiKeyList)
  apiKeyList(envelope: RequestEnvelope<PageQuery>) {
    return this.apiKeys.list(envelope);
  }

  @RpcHandler(S.apiKeyRevoke)
  apiKeyRevoke(envelope: RequestEnvelope<{ id: string }>) {
    return this.apiKeys.revoke(envelope);
  }

  @RpcHandler(S.localMailboxList)
  localMailboxList(envelope: RequestEnvelope<LocalMailboxListRequest>) {
    return this.mailbox.list(envelope);
  }
}
