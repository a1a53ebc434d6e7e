import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  CrmContactSubjects as S,
  type CrmAssignmentRuleView,
  type CrmContactView,
  type CrmFairnessLedgerEntry,
  type CrmPondView,
} from '@keyhouse/contracts';
import { RequirePermission } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { Idempotent } from '../platform/idempotency.interceptor';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import { uuidParam } from '../users/users.http.controller';
import { AssignmentRuleViewDto, FairnessLedgerEntryDto, PondViewDto } from './dto/responses.dto';
import { ContactViewDto } from './dto/views.dto';
import { ClaimDto, CreateAssignmentRuleDto, CreatePondDto, UpdateAssignmentRuleDto, UpdatePondDto } from './dto/assignment.dto';

/** `/v1/assignment-rules`: lead routing rules in priority order (admins write; managers read). */
@ApiTags('lead assignment')
@ApiBearerAuth()
@Controller('assignment-rules')
export class AssignmentRulesHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @RequirePermission('assignment-rules:write')
  @Idempotent()
  @ApiOperation({
    summary:
      'Create a rule: conditions (sources, postalCodes, cities, types, minPrice, maxPrice in cents) and a strategy (agent, round_robin, load_balanced, pond)',
  })
  @ApiCreatedResponse({ type: AssignmentRuleViewDto })
  @ApiProblems(400, 401, 403)
  create(@Req() request: GatewayRequest, @Body() body: CreateAssignmentRuleDto): Promise<CrmAssignmentRuleView> {
    return this.rpc.call(S.ruleCreate, request, body);
  }

  @Get()
  @RequirePermission('assignment-rules:read')
  @ApiOperation({ summary: 'The rules in the order they are tried' })
  @ApiOkResponse({ type: [AssignmentRuleViewDto] })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest): Promise<CrmAssignmentRuleView[]> {
    return this.rpc.call(S.ruleList, request, {}, { retries: 1 });
  }

  @Get(':id')
  @RequirePermission('assignment-rules:read')
  @ApiOperation({ summary: 'A rule' })
  @ApiOkResponse({ type: AssignmentRuleViewDto })
  @ApiProblems(401, 403, 404)
  get(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<CrmAssignmentRuleView> {
    return this.rpc.call(S.ruleGet, request, { id }, { retries: 1 });
  }

  @Get(':id/ledger')
  @RequirePermission('assignment-rules:read')
  @ApiOperation({ summary: 'Fairness ledger of the rule’s pool: assignments per agent and share (basis points)' })
  @ApiOkResponse({ type: [FairnessLedgerEntryDto] })
  @ApiProblems(401, 403)
  ledger(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<CrmFairnessLedgerEntry[]> {
    return this.rpc.call(S.ruleLedger, request, { id }, { retries: 1 });
  }

  @Patch(':id')
  @RequirePermission('assignment-rules:write')
  @ApiOperation({ summary: 'Change a rule' })
  @ApiOkResponse({ type: AssignmentRuleViewDto })
  @ApiProblems(400, 401, 403, 404)
  update(
    @Req() request: GatewayRequest,
    @Param('id', uuidParam) id: string,
    @Body() body: UpdateAssignmentRuleDto,
  ): Promise<CrmAssignmentRuleView> {
    return this.rpc.call(S.ruleUpdate, request, { ...body, id });
  }

  @Delete(':id')
  @RequirePermission('assignment-rules:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a rule (past assignments keep pointing at it)' })
  @ApiNoContentResponse()
  @ApiProblems(401, 403, 404)
  async delete(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<void> {
    await this.rpc.call(S.ruleDelete, request, { id });
  }
}

/** `/v1/ponds`: shared lead pools that eligible agents claim from (first claim wins). */
@ApiTags('lead assignment')
@ApiBearerAuth()
@Controller('ponds')
export class PondsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @RequirePermission('assignment-rules:write')
  @Idempotent()
  @ApiOperation({ summary: 'Create a pond (admin)' })
  @ApiCreatedResponse({ type: PondViewDto })
  @ApiProblems(400, 401, 403)
  create(@Req() request: GatewayRequest, @Body() body: CreatePondDto): Promise<CrmPondView> {
    return this.rpc.call(S.pondCreate, request, body);
  }

  @Get()
  @RequirePermission('assignment-rules:read')
  @ApiOperation({ summary: 'Ponds with their unclaimed lead counts' })
  @ApiOkResponse({ type: [PondViewDto] })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest): Promise<CrmPondView[]> {
    return this.rpc.call(S.pondList, request, {}, { retries: 1 });
  }

  @Patch(':id')
  @RequirePermission('assignment-rules:write')
  @ApiOperation({
    summary: 'Rename a pond or replace its eligible agents (admin); leads in it stay, who may claim them follows the new list',
  })
  @ApiOkResponse({ type: PondViewDto })
  @ApiProblems(400, 401, 403, 404)
  update(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Body() body: UpdatePondDto): Promise<CrmPondView> {
    return this.rpc.call(S.pondUpdate, request, { ...body, id });
  }

  @Delete(':id')
  @RequirePermission('assignment-rules:write')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Delete an empty pond (admin): 409 POND_NOT_EMPTY while it holds unclaimed leads, 409 POND_IN_USE while a rule routes to it; assignment history keeps pointing at it',
  })
  @ApiNoContentResponse()
  @ApiProblems(401, 403, 404, 409)
  async delete(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<void> {
    await this.rpc.call(S.pondDelete, request, { id });
  }

  @Get(':id/ledger')
  @RequirePermission('assignment-rules:read')
  @ApiOperation({ summary: 'Fairness ledger of the pond: claims per agent and share (basis points)' })
  @ApiOkResponse({ type: [FairnessLedgerEntryDto] })
  @ApiProblems(401, 403)
  ledger(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<CrmFairnessLedgerEntry[]> {
    return this.rpc.call(S.ruleLedger, request, { id }, { retries: 1 });
  }

  @Post(':id/claim')
  @RequirePermission('contacts:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Claim a lead from the pond (the given contactId or the oldest); 409 when someone claimed it first' })
  @ApiOkResponse({ type: ContactViewDto })
  @ApiProblems(401, 403, 404, 409)
  claim(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Body() body: ClaimDto): Promise<CrmContactView> {
    return this.rpc.call(S.pondClaim, request, { id, contactId: body.contactId });
  }
}
