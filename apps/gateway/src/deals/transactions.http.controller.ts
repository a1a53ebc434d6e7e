import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  DealsCommissionSubjects as C,
  DealsTransactionSubjects as S,
  type CommissionStatementView,
  type Page,
  type TransactionOfferView,
  type TransactionPipelineView,
  type TransactionTimelineEntry,
  type TransactionView,
} from '@keyhouse/contracts';
import { RequirePermission } from '@keyhouse/platform/auth';
import { DomainException } from '@keyhouse/platform/messaging';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { Idempotent } from '../platform/idempotency.interceptor';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import {
  AgentTransactionsQueryDto,
  CreateOfferDto,
  CreatePipelineDto,
  CreateTransactionDto,
  ListOffersQueryDto,
  ListTransactionsQueryDto,
  StatementQueryDto,
  TimelineQueryDto,
  UpdateOfferDto,
  UpdateTransactionDto,
} from './dto/deals.dto';
import {
  CommissionStatementViewDto,
  OfferPageDto,
  OfferViewDto,
  PipelineListDto,
  PipelineViewDto,
  TransactionPageDto,
  TransactionTimelinePageDto,
  TransactionViewDto,
} from './dto/responses.dto';

/** A path UUID; anything else is a 400 naming the parameter. */
export function dealsUuid(field: string): ParseUUIDPipe {
  return new ParseUUIDPipe({ exceptionFactory: () => DomainException.validation([{ field, message: 'must be a UUID' }]) });
}

/**
 * `/v1/transactions`: deals through the pipeline. Agents reach the deals they are on, managers
 * their teams' deals, admins the organization's; a deal out of reach is a 404.
 */
@ApiTags('transactions')
@ApiBearerAuth()
@Controller('transactions')
export class TransactionsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @RequirePermission('transactions:write')
  @Idempotent()
  @ApiOperation({
    summary:
      'Create a transaction (price in cents; a won stage needs closePrice and closeDate). propertyId and contact ids must be a listing and contacts the caller can read (400 PROPERTY_NOT_FOUND / CONTACT_NOT_FOUND naming the field); commissionPlanId needs a manager’s or an admin’s commission-plan permission (403 COMMISSION_PLAN_CHOICE_FORBIDDEN)',
  })
  @ApiCreatedResponse({ description: 'The transaction', type: TransactionViewDto })
  @ApiProblems(400, 401, 403, 404, 409, 422)
  create(@Req() request: GatewayRequest, @Body() body: CreateTransactionDto): Promise<TransactionView> {
    return this.rpc.call(S.create, request, body);
  }

  @Get()
  @RequirePermission('transactions:read')
  @ApiOperation({
    summary: 'List transactions, newest first (filters: agent, stage, pipeline, side, status, expected-close range, price range)',
  })
  @ApiOkResponse({ description: 'A page of transactions', type: TransactionPageDto })
  @ApiProblems(400, 401, 403)
  list(@Req() request: GatewayRequest, @Query() query: ListTransactionsQueryDto): Promise<Page<TransactionView>> {
    return this.rpc.call(S.list, request, query, { retries: 1 });
  }

  @Get(':id')
  @RequirePermission('transactions:read')
  @ApiOperation({ summary: 'A transaction with its participants, key dates and stage history' })
  @ApiOkResponse({ description: 'The transaction', type: TransactionViewDto })
  @ApiProblems(400, 401, 403, 404)
  get(@Req() request: GatewayRequest, @Param('id', dealsUuid('id')) id: string): Promise<TransactionView> {
    return this.rpc.call(S.get, request, { id }, { retries: 1 });
  }

  @Patch(':id')
  @RequirePermission('transactions:write')
  @ApiOperation({
    summary:
      'Change a transaction: stage (won needs closePrice and closeDate), dates, notes, participants, ... A new propertyId or contact id is checked as on create; changing commissionPlanId needs a manager’s or an admin’s commission-plan permission (403)',
  })
  @ApiOkResponse({ description: 'The transaction', type: TransactionViewDto })
  @ApiProblems(400, 401, 403, 404, 422)
  update(
    @Req() request: GatewayRequest,
    @Param('id', dealsUuid('id')) id: string,
    @Body() body: UpdateTransactionDto,
  ): Promise<TransactionView> {
    return this.rpc.call(S.update, request, { ...body, id });
  }

  @Delete(':id')
  @RequirePermission('transactions:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an open or lost transaction (a closed one is 409)' })
  @ApiNoContentResponse()
  @ApiProblems(400, 401, 403, 404, 409)
  async remove(@Req() request: GatewayRequest, @Param('id', dealsUuid('id')) id: string): Promise<void> {
    await this.rpc.call(S.delete, request, { id });
  }

  @Get(':id/timeline')
  @RequirePermission('transactions:read')
  @ApiOperation({ summary: 'What happened to the transaction, oldest first' })
  @ApiOkResponse({ description: 'A page of timeline entries', type: TransactionTimelinePageDto })
  @ApiProblems(400, 401, 403, 404)
  timeline(
    @Req() request: GatewayRequest,
    @Param('id', dealsUuid('id')) id: string,
    @Query() query: TimelineQueryDto,
  ): Promise<Page<TransactionTimelineEntry>> {
    return this.rpc.call(S.timeline, request, { ...query, id }, { retries: 1 });
  }

  @Get(':id/commission')
  @RequirePermission('transactions:read')
  @ApiOperation({ summary: 'The commission statement of a closed transaction (cents; gross = referralFee + brokerage + agent + fees)' })
  @ApiOkResponse({ description: 'The current statement, or `version` n', type: CommissionStatementViewDto })
  @ApiProblems(400, 401, 403, 404)
  commission(
    @Req() request: GatewayRequest,
    @Param('id', dealsUuid('id')) id: string,
    @Query() query: StatementQueryDto,
  ): Promise<CommissionStatementView> {
    return this.rpc.call(C.statementGet, request, { ...query, id }, { retries: 1 });
  }
}

/** `/v1/pipelines`: the organization's deal pipelines (the default one is created on first use). */
@ApiTags('transactions')
@ApiBearerAuth()
@Controller('pipelines')
export class PipelinesHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get()
  @RequirePermission('transactions:read')
  @ApiOperation({ summary: 'Pipelines with their stages (probability in percent, outcome open/won/lost)' })
  @ApiOkResponse({ description: 'The organization’s pipelines (at most 100), oldest first', type: PipelineListDto })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest): Promise<{ items: TransactionPipelineView[] }> {
    return this.rpc.call(S.pipelineList, request, {}, { retries: 1 });
  }

  @Post()
  @RequirePermission('transactions:write')
  @Idempotent()
  @ApiOperation({ summary: 'Create a pipeline (admin): unique stage keys, one won stage, at most one lost stage' })
  @ApiCreatedResponse({ description: 'The pipeline', type: PipelineViewDto })
  @ApiProblems(400, 401, 403, 409, 422)
  create(@Req() request: GatewayRequest, @Body() body: CreatePipelineDto): Promise<TransactionPipelineView> {
    return this.rpc.call(S.pipelineCreate, request, body);
  }
}

/** `/v1/agents/:agentId/transactions`: one agent's deals, within the caller's reach. */
@ApiTags('transactions')
@ApiBearerAuth()
@Controller('agents')
export class AgentTransactionsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get(':agentId/transactions')
  @RequirePermission('transactions:read')
  @ApiOperation({
    summary:
      'Transactions the agent is on, newest first; 404 AGENT_NOT_FOUND for an agent the caller cannot see (agents: themselves; managers: their teams)',
  })
  @ApiOkResponse({ description: 'A page of transactions', type: TransactionPageDto })
  @ApiProblems(400, 401, 403, 404)
  list(
    @Req() request: GatewayRequest,
    @Param('agentId', dealsUuid('agentId')) agentId: string,
    @Query() query: AgentTransactionsQueryDto,
  ): Promise<Page<TransactionView>> {
    return this.rpc.call(S.listForAgent, request, { ...query, agentId }, { retries: 1 });
  }
}

/** `/v1/offers`: offers on listings, recorded on a transaction; accepting one declines the others. */
@ApiTags('transactions')
@ApiBearerAuth()
@Controller('offers')
export class OffersHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @RequirePermission('transactions:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Record an offer (amount and earnest money in cents, financing, contingencies, expiry) on a transaction with a property',
  })
  @ApiCreatedResponse({ description: 'The offer (status submitted)', type: OfferViewDto })
  @ApiProblems(400, 401, 403, 404, 409, 422)
  create(@Req() request: GatewayRequest, @Body() body: CreateOfferDto): Promise<TransactionOfferView> {
    return this.rpc.call(S.offerCreate, request, body);
  }

  @Get()
  @RequirePermission('transactions:read')
  @ApiOperation({ summary: 'Offers on transactions the caller can read, newest first (filters: property, transaction, status)' })
  @ApiOkResponse({ description: 'A page of offers', type: OfferPageDto })
  @ApiProblems(400, 401, 403)
  list(@Req() request: GatewayRequest, @Query() query: ListOffersQueryDto): Promise<Page<TransactionOfferView>> {
    return this.rpc.call(S.offerList, request, query, { retries: 1 });
  }

  @Patch(':id')
  @RequirePermission('transactions:write')
  @ApiOperation({ summary: 'Counter (new terms), reject or withdraw an open offer' })
  @ApiOkResponse({ description: 'The offer', type: OfferViewDto })
  @ApiProblems(400, 401, 403, 404, 409)
  update(
    @Req() request: GatewayRequest,
    @Param('id', dealsUuid('id')) id: string,
    @Body() body: UpdateOfferDto,
  ): Promise<TransactionOfferView> {
    return this.rpc.call(S.offerUpdate, request, { ...body, id });
  }

  @Post(':id/accept')
  @HttpCode(200)
  @RequirePermission('transactions:write')
  @ApiOperation({
    summary:
      'Accept an open offer: the listing’s other open offers are rejected, the transaction moves to the accepted stage at the offer price',
  })
  @ApiOkResponse({ description: 'The accepted offer', type: OfferViewDto })
  @ApiProblems(400, 401, 403, 404, 409)
  accept(@Req() request: GatewayRequest, @Param('id', dealsUuid('id')) id: string): Promise<TransactionOfferView> {
    return this.rpc.call(S.offerAccept, request, { id });
  }
}
