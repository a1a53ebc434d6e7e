import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  DealsCommissionSubjects as S,
  type AgentCommissionPlanView,
  type CommissionPlanView,
  type CommissionWhatIfView,
  type Page,
} from '@keyhouse/contracts';
import { RequirePermission } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { Idempotent } from '../platform/idempotency.interceptor';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import { PageQueryDto } from '../users/dto/users.dto';
import {
  CommissionReportQueryDto,
  CommissionWhatIfDto,
  CreateCommissionPlanDto,
  SetAgentCommissionPlanDto,
  UpdateCommissionPlanDto,
} from './dto/deals.dto';
import {
  AgentCommissionPlanViewDto,
  CommissionPlanPageDto,
  CommissionPlanViewDto,
  CommissionReportViewDto,
  CommissionWhatIfViewDto,
} from './dto/responses.dto';
import { dealsUuid } from './transactions.http.controller';

/** `/v1/commission-plans`: plans (admin writes), and the what-if computation. */
@ApiTags('commissions')
@ApiBearerAuth()
@Controller('commission-plans')
export class CommissionPlansHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @RequirePermission('commission-plans:write')
  @Idempotent()
  @ApiOperation({
    summary:
      'Create a commission plan (admin): grossRateBps or flatFeeCents, agentSplitBps, tiers, annualCapCents, referralFeeBps, transactionFeeCents',
  })
  @ApiCreatedResponse({ description: 'The plan', type: CommissionPlanViewDto })
  @ApiProblems(400, 401, 403, 409, 422)
  create(@Req() request: GatewayRequest, @Body() body: CreateCommissionPlanDto): Promise<CommissionPlanView> {
    return this.rpc.call(S.planCreate, request, body);
  }

  @Get()
  @RequirePermission('commission-plans:read')
  @ApiOperation({ summary: 'Commission plans (agents see the plan assigned to them)' })
  @ApiOkResponse({ description: 'A page of plans, oldest first', type: CommissionPlanPageDto })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest, @Query() query: PageQueryDto): Promise<Page<CommissionPlanView>> {
    return this.rpc.call(S.planList, request, query, { retries: 1 });
  }

  @Post('what-if')
  @HttpCode(200)
  @RequirePermission('commission-plans:read')
  @ApiOperation({
    summary:
      'The statement a hypothetical price would give under a plan, with the agent’s year-to-date figures; nothing is stored. planId must be a plan the caller may read (agents: their own plan), else 404 COMMISSION_PLAN_NOT_FOUND',
  })
  @ApiOkResponse({ description: 'A statement without id or version (planId null for an inline plan)', type: CommissionWhatIfViewDto })
  @ApiProblems(400, 401, 403, 404, 422)
  whatIf(@Req() request: GatewayRequest, @Body() body: CommissionWhatIfDto): Promise<CommissionWhatIfView> {
    return this.rpc.call(S.whatIf, request, body);
  }

  @Get(':id')
  @RequirePermission('commission-plans:read')
  @ApiOperation({ summary: 'A commission plan' })
  @ApiOkResponse({ description: 'The plan', type: CommissionPlanViewDto })
  @ApiProblems(400, 401, 403, 404)
  get(@Req() request: GatewayRequest, @Param('id', dealsUuid('id')) id: string): Promise<CommissionPlanView> {
    return this.rpc.call(S.planGet, request, { id }, { retries: 1 });
  }

  @Patch(':id')
  @RequirePermission('commission-plans:write')
  @ApiOperation({ summary: 'Change a plan (admin); statements already computed keep their terms' })
  @ApiOkResponse({ description: 'The plan', type: CommissionPlanViewDto })
  @ApiProblems(400, 401, 403, 404, 409)
  update(
    @Req() request: GatewayRequest,
    @Param('id', dealsUuid('id')) id: string,
    @Body() body: UpdateCommissionPlanDto,
  ): Promise<CommissionPlanView> {
    return this.rpc.call(S.planUpdate, request, { ...body, id });
  }
}

/** `/v1/agents/:agentId/commission-plan`: the plan an agent is paid under. */
@ApiTags('commissions')
@ApiBearerAuth()
@Controller('agents')
export class AgentCommissionPlanHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Patch(':agentId/commission-plan')
  @RequirePermission('commission-plans:write')
  @ApiOperation({ summary: 'Assign a commission plan to an agent (admin)' })
  @ApiOkResponse({ description: 'The assignment', type: AgentCommissionPlanViewDto })
  @ApiProblems(400, 401, 403, 404)
  set(
    @Req() request: GatewayRequest,
    @Param('agentId', dealsUuid('agentId')) agentId: string,
    @Body() body: SetAgentCommissionPlanDto,
  ): Promise<AgentCommissionPlanView> {
    return this.rpc.call(S.agentPlanSet, request, { agentId, planId: body.planId });
  }

  @Get(':agentId/commission-plan')
  @RequirePermission('commission-plans:read')
  @ApiOperation({ summary: 'The plan assigned to an agent (agents: their own)' })
  @ApiOkResponse({ description: 'The assignment', type: AgentCommissionPlanViewDto })
  @ApiProblems(400, 401, 403, 404)
  get(@Req() request: GatewayRequest, @Param('agentId', dealsUuid('agentId')) agentId: string): Promise<AgentCommissionPlanView> {
    return this.rpc.call(S.agentPlanGet, request, { agentId }, { retries: 1 });
  }
}

/** `/v1/reports/commissions`: closed deals per agent, as JSON or a CSV / PDF download. */
@ApiTags('commissions')
@ApiBearerAuth()
@Controller('reports')
export class CommissionReportsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get('commissions')
  @RequirePermission('reports:read')
  @ApiOperation({
    summary: 'Commission report per agent for a month or from/to (count, volume, GCI, agent and brokerage shares, fees; cents)',
  })
  @ApiExtraModels(CommissionReportViewDto)
  @ApiOkResponse({
    description:
      'JSON by default (format=json); with format=csv a `text/csv; charset=utf-8` attachment (RFC 4180; header agent_id, agent_name, deals, volume, gci, referral_fees, agent_share, brokerage_share, fees; one row per agent, then a TOTAL row; amounts in dollars with two decimals), with format=pdf an `application/pdf` attachment; `Content-Disposition: attachment; filename="commissions-<from>-to-<to>.<csv|pdf>"`. Files are at most 700 KiB (else 413 REPORT_TOO_LARGE)',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(CommissionReportViewDto) } },
      'text/csv': {
        schema: {
          type: 'string',
          example:
            'agent_id,agent_name,deals,volume,gci,referral_fees,agent_share,brokerage_share,fees\n0b9e5c1a-6f4e-4d8a-9a51-3c2f7e1d2b40,Dana Agent,2,1250000.00,37500.00,0.00,25750.00,11250.00,500.00\nTOTAL,,2,1250000.00,37500.00,0.00,25750.00,11250.00,500.00\n',
        },
      },
      'application/pdf': { schema: { type: 'string', format: 'binary' } },
    },
    headers: {
      'Content-Disposition': { description: 'With format=csv or pdf: `attachment; filename="…"`', schema: { type: 'string' } },
    },
  })
  @ApiProblems(400, 401, 403, 413)
  async report(@Req() request: GatewayRequest, @Query() query: CommissionReportQueryDto, @Res() reply: FastifyReply): Promise<void> {
    const result = await this.rpc.call(S.report, request, query, { retries: 1, timeoutMs: 30_000 });
    if ('base64' in result) {
      await reply
        .header('content-type', result.contentType)
        .header('content-disposition', `attachment; filename="${result.filename}"`)
        .send(Buffer.from(result.base64, 'base64'));
      return;
    }
    await reply.header('content-type', 'application/json; charset=utf-8').send(result);
  }
}
