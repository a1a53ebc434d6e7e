import { Controller } from '@nestjs/common';
import {
  DealsTransactionSubjects as S,
  type RequestEnvelope,
  type TransactionCreateRequest,
  type TransactionListRequest,
  type TransactionPipelineCreateRequest,
  type TransactionUpdateRequest,
} from '@keyhouse/contracts';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { PipelinesService } from '../pipelines/pipelines.service';
import { TransactionsService } from './transactions.service';

/** NATS responders for transactions and pipelines. */
@Controller()
export class TransactionsRpcController {
  constructor(
    private readonly transactions: TransactionsService,
    private readonly pipelines: PipelinesService,
  ) {}

  @RpcHandler(S.create)
  create(envelope: RequestEnvelope<TransactionCreateRequest>) {
    return this.transactions.create(envelope);
  }

  @RpcHandler(S.list)
  list(envelope: RequestEnvelope<TransactionListRequest>) {
    return this.transactions.list(envelope);
  }

  @RpcHandler(S.get)
  get(envelope: RequestEnvelope<{ id: string }>) {
    return this.transactions.get(envelope);
  }

  @RpcHandler(S.update)
  update(envelope: RequestEnvelope<TransactionUpdateRequest>) {
    return this.transactions.update(envelope);
  }

  @RpcHandler(S.delete)
  async delete(envelope: RequestEnvelope<{ id: string }>) {
    await this.transactions.delete(envelope);
    return {};
  }

  @RpcHandler(S.timeline)
  timeline(envelope: RequestEnvelope<{ id: string; cursor?: string; limit?: number }>) {
    return this.transactions.timeline(envelope);
  }

  @RpcHandler(S.pipelineList)
  pipelineList(envelope: RequestEnvelope) {
    return this.pipelines.list(envelope);
  }

  @RpcHandler(S.pipelineCreate)
  pipelineCreate(envelope: RequestEnvelope<TransactionPipelineCreateRequest>) {
    return this.pipelines.create(envelope);
  }
}
