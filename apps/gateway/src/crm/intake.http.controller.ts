import { Body, Controller, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  CrmContactSubjects as S,
  IdentityAuthSubjects,
  IdentityOrganizationSubjects,
  type RegisterClientResponse,
  type CrmContactView,
  type CrmLeadEventResponse,
  type CrmPublicLeadAnswer,
} from '@keyhouse/contracts';
import { Public, RequirePermission } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { Idempotent } from '../platform/idempotency.interceptor';
import { ApiProblems } from '../platform/problem-details.dto';
import { RateLimit } from '../platform/rate-limit.guard';
import { GatewayRpc } from '../platform/rpc.service';
import { uuidParam } from '../users/users.http.controller';
import { ClientRegistrationDto, LeadEventDto, LeadEventResponseDto, PublicLeadDto, PublicLeadResponseDto } from './dto/intake.dto';
import { ContactViewDto } from './dto/views.dto';

/**
 * `POST /v1/lead-events`: typed lead events from websites, IDX and portals (API key with
 * leads:write); and `POST /v1/contacts/:id/proposed-details/:entryId/accept`, where an agent
 * applies the details a public submission proposed for an existing contact.
 */
@ApiTags('lead intake')
@ApiBearerAuth()
@Controller()
export class LeadEventsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post('lead-events')
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

  @Post('contacts/:id/proposed-details/:entryId/accept')
  @RequirePermission('contacts:write')
  @ApiOperation({
    summary:
      'Apply the contact details a public submission proposed for this existing contact (the `proposed` of its form.submitted timeline entry): blanks filled, emails and phones added',
  })
  @ApiOkResponse({ type: ContactViewDto })
  @ApiProblems(400, 401, 403, 404, 409)
  async acceptProposedDetails(
    @Req() request: GatewayRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Param('id', uuidParam) id: string,
    @Param('entryId', uuidParam) entryId: string,
  ): Promise<CrmContactView> {
    void reply.status(200);
    return this.rpc.call(S.proposedDetailsAccept, request, { id, entryId });
  }
}

/**
 * `POST /v1/public/leads`: the public lead form, identified by the organization's `publicFormKey`
 * (no login). Rate-limited per client address like other public routes; honours `Idempotency-Key`.
 * Answers 201 `{ submissionId }` whether or not the person is already a contact (issue 13 item 6).
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
    summary:
      'Submit a lead form: 201 with { submissionId }, the same for a new and an existing person (details for an existing contact wait for an agent’s acceptance)',
  })
  @ApiCreatedResponse({ type: PublicLeadResponseDto })
  @ApiProblems(400, 404, 429)
  async capture(@Req() request: GatewayRequest, @Body() body: PublicLeadDto): Promise<CrmPublicLeadAnswer> {
    const { formKey, ...rest } = body;
    const { orgId } = await this.rpc.call(IdentityOrganizationSubjects.resolveFormKey, request, { formKey }, { retries: 1 });
    const { submissionId } = await this.rpc.call(S.publicLeadCapture, request, { ...rest, orgId });
    return { submissionId };
  }
}

/**
 * `POST /v1/public/clients/register`: a person registers on the brokerage's portal with its form
 * key. The crm finds (duplicate rules) or creates and routes their contact, then identity creates
 * the `client` user and sends an email verification. A client sees only their own contact record:
 * a contact created by this registration at once, an existing one only after the address is
 * verified. An email already used by a user is answered like a new one (201, ids that exist
 * nowhere; the account's owner is emailed), so the route tells nobody which addresses have
 * accounts (issue 13 items 2 and 12).
 */
@ApiTags('lead intake')
@Controller('public/clients')
export class PublicClientsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post('register')
  @Public()
  @RateLimit('public')
  @Idempotent()
  @ApiOperation({
    summary:
      'Client self-registration: creates the client user and sends an email verification; an existing contact is linked once the email is verified',
  })
  @ApiCreatedResponse({ description: '{ userId, contactId }' })
  @ApiProblems(400, 404, 422, 429)
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
      contactCreated: !lead.merged,
      name: body.name,
      email: body.email,
      password: body.password,
      ...this.rpc.clientOf(request),
    });
  }
}
