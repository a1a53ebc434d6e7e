import { Body, Controller, Delete, Get, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  IdentityOrganizationSubjects as S,
  type ApiKeyCreateResponse,
  type ApiKeyView,
  type LocalMailView,
  type OrganizationView,
  type Page,
} from '@keyhouse/contracts';
import { RequirePermission } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { Idempotent } from '../platform/idempotency.interceptor';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import { PageQueryDto } from '../users/dto/users.dto';
import { uuidParam } from '../users/users.http.controller';
import {
  ApiKeyPageDto,
  ApiKeyViewDto,
  CreateApiKeyDto,
  CreatedApiKeyDto,
  LocalMailboxQueryDto,
  LocalMailPageDto,
  OrganizationViewDto,
  UpdateOrganizationDto,
} from './dto/organizations.dto';

/** `/v1/organizations/current`: the caller's brokerage settings. */
@ApiTags('organizations')
@ApiBearerAuth()
@Controller('organizations')
export class OrganizationsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get('current')
  @RequirePermission('organizations:read')
  @ApiOperation({ summary: 'The caller’s organization: branding, affiliate rate, 2FA policy, session lifetime, public form key' })
  @ApiOkResponse({ type: OrganizationViewDto })
  @ApiProblems(401, 403)
  current(@Req() request: GatewayRequest): Promise<OrganizationView> {
    return this.rpc.call(S.getCurrent, request, {}, { retries: 1 });
  }

  @Patch('current')
  @RequirePermission('organizations:write')
  @ApiOperation({ summary: 'Change organization settings (admin)' })
  @ApiOkResponse({ type: OrganizationViewDto })
  @ApiProblems(401, 403)
  update(@Req() request: GatewayRequest, @Body() body: UpdateOrganizationDto): Promise<OrganizationView> {
    return this.rpc.call(S.updateCurrent, request, body);
  }
}

/** `/v1/api-keys`: keys for partner systems, sent as `X-Api-Key`. */
@ApiTags('api-keys')
@ApiBearerAuth()
@Controller('api-keys')
export class ApiKeysHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @RequirePermission('api-keys:write')
  @Idempotent()
  @ApiOperation({ summary: 'Create an API key; the key is in this response only (admin)' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiProblems(401, 403, 422)
  create(@Req() request: GatewayRequest, @Body() body: CreateApiKeyDto): Promise<ApiKeyCreateResponse> {
    return this.rpc.call(S.apiKeyCreate, request, body);
  }

  @Get()
  @RequirePermission('api-keys:read')
  @ApiOperation({ summary: 'List API keys, newest first, with last use' })
  @ApiOkResponse({ type: ApiKeyPageDto })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest, @Query() query: PageQueryDto): Promise<Page<ApiKeyView>> {
    return this.rpc.call(S.apiKeyList, request, query, { retries: 1 });
  }

  @Delete(':id')
  @RequirePermission('api-keys:write')
  @ApiOperation({ summary: 'Revoke an API key (admin)' })
  @ApiOkResponse({ type: ApiKeyViewDto })
  @ApiProblems(401, 403, 404)
  revoke(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<ApiKeyView> {
    return this.rpc.call(S.apiKeyRevoke, request, { id });
  }
}

/**
 * `/v1/local-mailbox`: messages the local email adapter recorded instead of sending (development
 * and tests; empty once a real provider is configured), with every token and link redacted so
 * that reading them never lets anyone act as the recipient.
 */
@ApiTags('local-mailbox')
@ApiBearerAuth()
@Controller('local-mailbox')
export class LocalMailboxHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get()
  @RequirePermission('mailbox:read')
  @ApiOperation({
    summary: 'Emails recorded by the local adapter for this organization, newest first (admin)',
    description: 'Tokens and links read `[redacted]`: the mailbox never shows a secret that acts for its recipient.',
  })
  @ApiOkResponse({ type: LocalMailPageDto })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest, @Query() query: LocalMailboxQueryDto): Promise<Page<LocalMailView>> {
    return this.rpc.call(S.localMailboxList, request, query, { retries: 1 });
  }
}
