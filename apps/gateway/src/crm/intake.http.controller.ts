import { Body, Controller, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  CrmContactSubjects as S,
  IdentityOrganizationSubjects,
  type CrmLeadEventResponse,
  type CrmPublicLeadResponse,
  type ResolveFormKeyResponse,
} from '@keyhouse/contracts';
import { Public, RequirePermission } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request';
import { Idempotent } from '../platform/idempotency.interceptor';
import { ApiProblems } from '../platform/problem-details.dto';
import { RateLimit } from '../platform/rate-limit.guard';
import { GatewayRpc } from '../platform/rpc.service';
import { LeadEventDto, LeadEventResponseDto, PublicLeadDto, PublicLeadResponseDto } from './dto/intake.dto';

/** `POST /v1/lead-events`: typed lead events from websites, IDX and portals (API key with leads:write). */
@ApiTags('lead intake')
@ApiBearerAuth()
@Controller('lead-events')
export class LeadEventsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @RequirePermission('leads:write')
  @ApiOperation({ summary: 'Record a lead event; finds or creates the contact, routes new leads. The same source + externalId twice is one event (200)' })
  @ApiCreatedResponse({ type: LeadEventResponseDto })
  @ApiProblems(400, 401, 403)
  async ingest(@Req() request: GatewayRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body() body: LeadEventDto): Promise<CrmLeadEventResponse> {
    const result = await this.rpc.call<CrmLeadEventResponse>(S.leadEventIngest, request, body);
    if (result.duplicateEvent) void reply.status(200);
    return result;
  }
}

/**
 * `POST /v1/public/leads`: the public lead form, identified by the organization's `publicFormKey`
 * (no login). Rate-limited per client address like other public routes; honours `Idempotency-Key`.
 */
@ApiTags('lead intake')
@Controller('public/leads')
export class PublicLeadsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @Public()
  @RateLimit('public')
  @Idempotent()
  @ApiOperation({ summary: 'Submit a lead form: 201 with { contactId, merged: false } for a new contact, 200 with merged: true when it matched one' })
  @ApiCreatedResponse({ type: PublicLeadResponseDto })
  @ApiOkResponse({ type: PublicLeadResponseDto })
  @ApiProblems(400, 404, 429)
  async capture(@Req() request: GatewayRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body() body: PublicLeadDto): Promise<CrmPublicLeadResponse> {
    const { formKey, ...rest } = body;
    const { orgId } = await this.rpc.call<ResolveFormKeyResponse>(IdentityOrganizationSubjects.resolveFormKey, request, { formKey }, { retries: 1 });
    const result = await this.rpc.call<CrmPublicLeadResponse>(S.publicLeadCapture, request, { ...rest, orgId });
    if (result.merged) void reply.status(200);
    return result;
  }
}
