import { Controller } from '@nestjs/common';
import {
  CrmCompanySubjects as S,
  type CrmCompanyCreateRequest,
  type CrmCompanyListRequest,
  type CrmCompanyUpdateRequest,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { CompaniesService } from './companies.service';

/** NATS responders for companies. */
@Controller()
export class CompaniesRpcController {
  constructor(private readonly companies: CompaniesService) {}

  @RpcHandler(S.create)
  create(envelope: RequestEnvelope<CrmCompanyCreateRequest>) {
    return this.companies.create(envelope);
  }

  @RpcHandler(S.list)
  list(envelope: RequestEnvelope<CrmCompanyListRequest>) {
    return this.companies.list(envelope);
  }

  @RpcHandler(S.get)
  get(envelope: RequestEnvelope<{ id: string }>) {
    return this.companies.get(envelope);
  }

  @RpcHandler(S.update)
  update(envelope: RequestEnvelope<CrmCompanyUpdateRequest>) {
    return this.companies.update(envelope);
  }

  @RpcHandler(S.delete)
  async delete(envelope: RequestEnvelope<{ id: string }>) {
    await this.companies.delete(envelope);
    return null;
  }
}
