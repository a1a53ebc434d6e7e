import { Controller } from '@nestjs/common';
import {
  DealsTransactionSubjects as S,
  type RequestEnvelope,
  type TransactionCreateRequest,
  type TransactionListRequest,
  type TransactionOfferCreateRequest,
  type TransactionOfferListRequest,
  type TransactionOfferUpdateRequest,
  type TransactionPipelineCreateRequest,
  type TransactionUpdateRequest,
} from '@keyhouse/contracts';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { OffersService } from '../offers/offers.service';
import { PipelinesService } from '../pipelines/pipelines.service';
import { TransactionsService } from './transactions.service';

/** NATS responders for transactions, pipelines and offers. */
@Controller()
export class TransactionsRpcController {
  constructor(
    private readonly transactions: TransactionsService,
    private readonly pipelines: PipelinesService,
    private readonly offers: OffersService,
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

  @RpcHandler(S.offerCreate)
  offerCreate(envelope: RequestEnvelope<TransactionOfferCreateRequest>) {
    return this.offers.create(envelope);
  }

  @RpcHandler(S.offerList)
  offerList(envelope: RequestEnvelope<TransactionOfferListRequest>) {
    return this.offers.list(envelope);
  }

  @RpcHandler(S.offerUpdate)
  offerUpdate(envelope: RequestEnvelope<TransactionOfferUpdateRequest>) {
    return this.offers.update(envelope);
  }

  @RpcHandler(S.offerAccept)
  offerAccept(envelope: RequestEnvelope<{ id: string }>) {
    return this.offers.accept(envelope);
  }
}
