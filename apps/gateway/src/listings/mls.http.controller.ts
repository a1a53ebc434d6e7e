import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { ListingsMlsSubjects as S, type MlsSourceView, type MlsSyncRunView, type MlsWebhookResponse, type Page } from '@keyhouse/contracts';
import { RequirePermission } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { Idempotent } from '../platform/idempotency.interceptor';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import { PageQueryDto } from '../users/dto/users.dto';
import { uuidParam } from '../users/users.http.controller';
import {
  CreateMlsSourceDto,
  MlsSourcePageDto,
  MlsSourceViewDto,
  MlsSyncRunPageDto,
  MlsSyncRunViewDto,
  MlsWebhookDto,
  MlsWebhookResultDto,
  UpdateMlsSourceDto,
} from './dto/mls.dto';

/** `/v1/mls-sources`: RESO Web API sources pulled on a schedule (admin). */
@ApiTags('listings')
@ApiBearerAuth()
@Controller('mls-sources')
export class MlsSourcesHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @RequirePermission('listings:import')
  @Idempotent()
  @ApiOperation({
    summary:
      'Configure an MLS source (RESO Web API root and bearer token, stored encrypted); the root must be https to public addresses (400 MLS_SOURCE_URL_NOT_ALLOWED)',
  })
  @ApiCreatedResponse({ type: MlsSourceViewDto })
  @ApiProblems(400, 401, 403)
  create(@Req() request: GatewayRequest, @Body() body: CreateMlsSourceDto): Promise<MlsSourceView> {
    return this.rpc.call(S.sourceCreate, request, body);
  }

  @Get()
  @RequirePermission('listings:import')
  @ApiOperation({ summary: 'MLS sources of the organization' })
  @ApiOkResponse({ type: MlsSourcePageDto })
  @ApiProblems(400, 401, 403)
  list(@Req() request: GatewayRequest, @Query() query: PageQueryDto): Promise<Page<MlsSourceView>> {
    return this.rpc.call(S.sourceList, request, query, { retries: 1 });
  }

  @Patch(':id')
  @RequirePermission('listings:import')
  @ApiOperation({ summary: 'Change an MLS source (name, service root, token, page size, interval, enabled) → listings.mls_source.updated' })
  @ApiOkResponse({ type: MlsSourceViewDto })
  @ApiProblems(400, 401, 403, 404)
  update(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Body() body: UpdateMlsSourceDto): Promise<MlsSourceView> {
    return this.rpc.call(S.sourceUpdate, request, { ...body, id });
  }

  @Post(':id/enable')
  @HttpCode(200)
  @RequirePermission('listings:import')
  @ApiOperation({ summary: 'Enable scheduled and manual pulls of the source' })
  @ApiOkResponse({ type: MlsSourceViewDto })
  @ApiProblems(400, 401, 403, 404)
  enable(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<MlsSourceView> {
    return this.rpc.call(S.sourceUpdate, request, { id, enabled: true });
  }

  @Post(':id/disable')
  @HttpCode(200)
  @RequirePermission('listings:import')
  @ApiOperation({ summary: 'Disable the source: no scheduled pulls, manual sync 409 MLS_SOURCE_DISABLED' })
  @ApiOkResponse({ type: MlsSourceViewDto })
  @ApiProblems(400, 401, 403, 404)
  disable(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<MlsSourceView> {
    return this.rpc.call(S.sourceUpdate, request, { id, enabled: false });
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('listings:import')
  @ApiOperation({
    summary:
      'Delete a source with its token and run history; its listings stay (409 while a run is in progress) → listings.mls_source.deleted',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 401, 403, 404, 409)
  async remove(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<void> {
    await this.rpc.call(S.sourceDelete, request, { id });
  }

  @Post(':id/sync')
  @HttpCode(200)
  @RequirePermission('listings:import')
  @ApiOperation({ summary: 'Pull now: runs the sync job for this source and answers its run record' })
  @ApiOkResponse({ type: MlsSyncRunViewDto })
  @ApiProblems(400, 401, 403, 404, 409)
  sync(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<MlsSyncRunView> {
    return this.rpc.call(S.sourceSync, request, { id }, { timeoutMs: 120_000 });
  }

  @Get(':id/runs')
  @RequirePermission('listings:import')
  @ApiOperation({ summary: 'Sync runs of a source, newest first (counts, errors, duration)' })
  @ApiOkResponse({ type: MlsSyncRunPageDto })
  @ApiProblems(400, 401, 403, 404)
  runs(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Query() query: PageQueryDto): Promise<Page<MlsSyncRunView>> {
    return this.rpc.call(S.runList, request, { ...query, sourceId: id }, { retries: 1 });
  }
}

/** `/v1/webhooks/mls`: partner push of RESO Property records. */
@ApiTags('listings')
@ApiSecurity('apiKey')
@Controller('webhooks')
export class MlsWebhookHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post('mls')
  @HttpCode(200)
  @RequirePermission('listings:write')
  @Idempotent()
  @ApiOperation({
    summary:
      'Push RESO Property records ({ "value": [...] }, PascalCase, prices in dollars) with an API key holding listings:write (org); idempotent, and honours Idempotency-Key (same key and body: replay; another body: 422); answers which records failed and why',
  })
  @ApiOkResponse({ type: MlsWebhookResultDto })
  @ApiProblems(400, 401, 403, 409, 413, 422)
  webhook(@Req() request: GatewayRequest, @Body() body: MlsWebhookDto): Promise<MlsWebhookResponse> {
    return this.rpc.call(S.webhook, request, { value: body.value }, { timeoutMs: 30_000 });
  }
}
