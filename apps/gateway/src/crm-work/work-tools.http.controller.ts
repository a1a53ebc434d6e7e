import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  CrmCompanySubjects as C,
  CrmContactSubjects,
  type CrmContactView,
  CrmSavedReplySubjects as R,
  CrmTagSubjects as T,
  type CrmCompanyView,
  type CrmSavedReplyRendered,
  type CrmSavedReplyView,
  type CrmTagView,
  type Page,
} from '@keyhouse/contracts';
import { RequirePermission } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { Idempotent } from '../platform/idempotency.interceptor';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import { uuidParam } from '../users/users.http.controller';
import { ContactPageDto } from '../crm/dto/views.dto';
import {
  CompanyContactsQueryDto,
  CompanyPageDto,
  CompanyViewDto,
  CreateCompanyDto,
  ListCompaniesQueryDto,
  UpdateCompanyDto,
} from './dto/companies.dto';
import {
  CreateSavedReplyDto,
  ListSavedRepliesQueryDto,
  RenderedSavedReplyDto,
  RenderSavedReplyDto,
  SavedReplyPageDto,
  SavedReplyViewDto,
  UpdateSavedReplyDto,
} from './dto/saved-replies.dto';
import { CreateTagDto, ListTagsQueryDto, TagPageDto, TagViewDto, UpdateTagDto } from './dto/tags.dto';

/** `/v1/companies`: companies contacts work for or deal through (organization-wide for the built-in roles). */
@ApiTags('companies')
@ApiBearerAuth()
@Controller('companies')
export class CompaniesHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @RequirePermission('companies:write')
  @Idempotent()
  @ApiOperation({ summary: 'Create a company (name unique in the organization; phones normalized to E.164)' })
  @ApiCreatedResponse({ type: CompanyViewDto })
  @ApiProblems(401, 403, 409, 422)
  create(@Req() request: GatewayRequest, @Body() body: CreateCompanyDto): Promise<CrmCompanyView> {
    return this.rpc.call(C.create, request, body);
  }

  @Get()
  @RequirePermission('companies:read')
  @ApiOperation({ summary: 'List companies by name (search q, industry)' })
  @ApiOkResponse({ type: CompanyPageDto })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest, @Query() query: ListCompaniesQueryDto): Promise<Page<CrmCompanyView>> {
    return this.rpc.call(C.list, request, query, { retries: 1 });
  }

  @Get(':id')
  @RequirePermission('companies:read')
  @ApiOperation({ summary: 'A company with the number of its contacts the caller may read' })
  @ApiOkResponse({ type: CompanyViewDto })
  @ApiProblems(401, 403, 404)
  get(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<CrmCompanyView> {
    return this.rpc.call(C.get, request, { id }, { retries: 1 });
  }

  @Get(':id/contacts')
  @RequirePermission('contacts:read')
  @ApiOperation({
    summary:
      'Contacts linked to the company (companyId), within the caller’s reach (agents: their own; managers: their teams’; admins: all), newest first by default; 404 for a company not of the organization',
  })
  @ApiOkResponse({ type: ContactPageDto })
  @ApiProblems(400, 401, 403, 404)
  contacts(
    @Req() request: GatewayRequest,
    @Param('id', uuidParam) id: string,
    @Query() query: CompanyContactsQueryDto,
  ): Promise<Page<CrmContactView>> {
    return this.rpc.call(CrmContactSubjects.listByCompany, request, { ...query, id }, { retries: 1 });
  }

  @Patch(':id')
  @RequirePermission('companies:write')
  @ApiOperation({ summary: 'Change a company' })
  @ApiOkResponse({ type: CompanyViewDto })
  @ApiProblems(401, 403, 404, 409)
  update(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Body() body: UpdateCompanyDto): Promise<CrmCompanyView> {
    return this.rpc.call(C.update, request, { ...body, id });
  }

  @Delete(':id')
  @RequirePermission('companies:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a company (soft: contacts keep their companyId)' })
  @ApiNoContentResponse()
  @ApiProblems(401, 403, 404)
  async delete(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<void> {
    await this.rpc.call(C.delete, request, { id });
  }
}

/** `/v1/saved-replies`: the caller's own canned responses with `{{placeholders}}` (needs contacts:write). */
@ApiTags('saved-replies')
@ApiBearerAuth()
@Controller('saved-replies')
export class SavedRepliesHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @RequirePermission('contacts:write')
  @Idempotent()
  @ApiOperation({ summary: 'Create one of your saved replies' })
  @ApiCreatedResponse({ type: SavedReplyViewDto })
  @ApiProblems(401, 403, 409, 422)
  create(@Req() request: GatewayRequest, @Body() body: CreateSavedReplyDto): Promise<CrmSavedReplyView> {
    return this.rpc.call(R.create, request, body);
  }

  @Get()
  @RequirePermission('contacts:write')
  @ApiOperation({ summary: 'Your saved replies by name (q, channel)' })
  @ApiOkResponse({ type: SavedReplyPageDto })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest, @Query() query: ListSavedRepliesQueryDto): Promise<Page<CrmSavedReplyView>> {
    return this.rpc.call(R.list, request, query, { retries: 1 });
  }

  @Get(':id')
  @RequirePermission('contacts:write')
  @ApiOperation({ summary: 'One of your saved replies' })
  @ApiOkResponse({ type: SavedReplyViewDto })
  @ApiProblems(401, 403, 404)
  get(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<CrmSavedReplyView> {
    return this.rpc.call(R.get, request, { id }, { retries: 1 });
  }

  @Patch(':id')
  @RequirePermission('contacts:write')
  @ApiOperation({ summary: 'Change one of your saved replies' })
  @ApiOkResponse({ type: SavedReplyViewDto })
  @ApiProblems(401, 403, 404, 409)
  update(
    @Req() request: GatewayRequest,
    @Param('id', uuidParam) id: string,
    @Body() body: UpdateSavedReplyDto,
  ): Promise<CrmSavedReplyView> {
    return this.rpc.call(R.update, request, { ...body, id });
  }

  @Delete(':id')
  @RequirePermission('contacts:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete one of your saved replies' })
  @ApiNoContentResponse()
  @ApiProblems(401, 403, 404)
  async delete(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<void> {
    await this.rpc.call(R.delete, request, { id });
  }

  @Post(':id/render')
  @RequirePermission('contacts:write')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Fill the placeholders (values, the caller as agent, a contact); reports unknown placeholders and missing values',
  })
  @ApiOkResponse({ type: RenderedSavedReplyDto })
  @ApiProblems(401, 403, 404)
  render(
    @Req() request: GatewayRequest,
    @Param('id', uuidParam) id: string,
    @Body() body: RenderSavedReplyDto,
  ): Promise<CrmSavedReplyRendered> {
    return this.rpc.call(R.render, request, { ...body, id }, { retries: 1 });
  }
}

/** `/v1/tags`: tag definitions (name, colour), organization-wide or personal. */
@ApiTags('tags')
@ApiBearerAuth()
@Controller('tags')
export class TagsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @RequirePermission('contacts:write')
  @Idempotent()
  @ApiOperation({ summary: 'Define a tag: personal (default) or for the organization (admins)' })
  @ApiCreatedResponse({ type: TagViewDto })
  @ApiProblems(401, 403, 409, 422)
  create(@Req() request: GatewayRequest, @Body() body: CreateTagDto): Promise<CrmTagView> {
    return this.rpc.call(T.create, request, body);
  }

  @Get()
  @RequirePermission('contacts:read')
  @ApiOperation({ summary: 'The organization’s tags and your personal ones, by name' })
  @ApiOkResponse({ type: TagPageDto })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest, @Query() query: ListTagsQueryDto): Promise<Page<CrmTagView>> {
    return this.rpc.call(T.list, request, query, { retries: 1 });
  }

  @Get(':id')
  @RequirePermission('contacts:read')
  @ApiOperation({ summary: 'A tag (an organization tag or one of your personal ones)' })
  @ApiOkResponse({ type: TagViewDto })
  @ApiProblems(401, 403, 404)
  get(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<CrmTagView> {
    return this.rpc.call(T.get, request, { id }, { retries: 1 });
  }

  @Patch(':id')
  @RequirePermission('contacts:write')
  @ApiOperation({ summary: 'Rename or recolour a tag' })
  @ApiOkResponse({ type: TagViewDto })
  @ApiProblems(401, 403, 404, 409)
  update(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Body() body: UpdateTagDto): Promise<CrmTagView> {
    return this.rpc.call(T.update, request, { ...body, id });
  }

  @Delete(':id')
  @RequirePermission('contacts:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a tag definition' })
  @ApiNoContentResponse()
  @ApiProblems(401, 403, 404)
  async delete(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<void> {
    await this.rpc.call(T.delete, request, { id });
  }
}
