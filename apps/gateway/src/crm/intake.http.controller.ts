import { Body, Controller, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  CrmContactSubjects as S,
  IdentityAuthSubjects,
  IdentityOrganizationSubjects,
  type RegisterClientResponse,
  type CrmLeadEventResponse,
  type CrmPublicLeadResponse,
} from '@keyhouse/contracts';
import { Public, RequirePermission } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { Idempotent } from '../platform/idempotency.interceptor';
import { ApiProblems } from '../platform/problem-details.dto';
import { RateLimit } from '../platform/rate-limit.guard';
import { GatewayRpc } from '../platform/rpc.service';
import { ClientRegistrationDto, LeadEventDto, LeadEventResponseDto, PublicLeadDto, PublicLeadResponseDto } from './dto/intake.dto';

/** `POST /v1/lead-events`: typed lead events from websites, IDX and portals (API key with leads:write). */
@ApiTags('lead intake')
@ApiBearerAuth()
@Controller('lead-events')
export class LeadEventsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @RequirePermission('leads:write')
  @ApiOperation({
    summary: 'Record a lead event; finds or creates the contact, routes new leads. The same source + externalId twice is one event (200)',
  })
  @ApiCreatedResponse({ type: LeadEventResponseDto })
  @ApiProblems(400, 401, 403)
  async ingest(
    @Req() request: GatewayRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: LeadEventDto,
  ): Promise<CrmLeadEventResponse> {
    const result = await this.rpc.call(S.leadEventIngest, request, body);
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
  @ApiOperation({
    summary: 'Submit a lead form: 201 with { contactId, merged: false } for a new contact, 200 with merged: true when it matched one',
  })
  @ApiCreatedResponse({ type: PublicLeadResponseDto })
  @ApiOkResponse({ type: PublicLeadResponseDto })
  @ApiProblems(400, 404, 429)
  async capture(
    @Req() request: GatewayRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: PublicLeadDto,
  ): Promise<CrmPublicLeadResponse> {
    const { formKey, ...rest } = body;
    const { orgId } = await this.rpc.call(IdentityOrganizationSubjects.resolveFormKey, request, { formKey }, { retries: 1 });
    const result = await this.rpc.call(S.publicLeadCapture, request, { ...rest, orgId });
    if (result.merged) void reply.status(200);
    return result;
  }
}

/**
 * `POST /v1/public/clients/register`: a person registers on the brokerage's portal with its form
 * key. The crm finds (duplicate rules) or creates and routes their contact, then identity creates
 * the `client` user linked to it and sends an email verification. A client sees only their own
 * contact record. An email already used by a user is a 409 (the contact stays, as a lead).
 */
@ApiTags('lead intake')
@Controller('public/clients')
export class PublicClientsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post('register')
  @Public()
  @RateLimit('public')
  @Idempotent()
  @ApiOperation({ summary: 'Client self-registration: creates the client user linked to their contact and sends an email verification' })
  @ApiCreatedResponse({ description: '{ userId, contactId }' })
  @ApiProblems(400, 404, 409, 429)
  async register(@Req() request: GatewayRequest, @Body() body: ClientRegistrationDto): Promise<RegisterClientResponse> {
    const { orgId } = await this.rpc.call(IdentityOrganizationSubjects.resolveFormKey, request, { formKey: body.formKey }, { retries: 1 });
    const parts = body.name.trim().split(/\s+/);
    const lastName = parts.length > 1 ? parts.pop()! : null;
    const lead = await this.rpc.call(S.publicLeadCapture, request, {
      orgId,
      firstName: parts.join(' '),
      lastName: lastName ?? undefined,
      email: body.email,
      phone: body.phone,
      source: 'website',
      formType: 'client_registration',
    });
    return this.rpc.call(IdentityAuthSubjects.registerClient, request, {
      orgId,
      contactId: lead.contactId,
      name: body.name,
      email: body.email,
      password: body.password,
      ...this.rpc.clientOf(request),
    });
  }
}
