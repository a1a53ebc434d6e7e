import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CrmContactSubjects as S, type CrmContactView, type CrmSmartListView, type Page } from '@keyhouse/contracts';
import { RequirePermission } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { Idempotent } from '../platform/idempotency.interceptor';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import { PageQueryDto } from '../users/dto/users.dto';
import { uuidParam } from '../users/users.http.controller';
import { CreateSmartListDto, UpdateSmartListDto } from './dto/smart-lists.dto';
import { SmartListViewDto } from './dto/responses.dto';
import { ContactPageDto } from './dto/views.dto';

/** `/v1/smart-lists`: saved contact filters, personal or shared with a team; evaluated in the caller's scope. */
@ApiTags('contacts')
@ApiBearerAuth()
@Controller('smart-lists')
export class SmartListsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @RequirePermission('contacts:read')
  @Idempotent()
  @ApiOperation({ summary: 'Save a smart list (filters: the list filters plus tags and custom fields)' })
  @ApiCreatedResponse({ type: SmartListViewDto })
  @ApiProblems(400, 401, 403)
  create(@Req() request: GatewayRequest, @Body() body: CreateSmartListDto): Promise<CrmSmartListView> {
    return this.rpc.call(S.smartListCreate, request, body);
  }

  @Get()
  @RequirePermission('contacts:read')
  @ApiOperation({ summary: 'Smart lists visible to the caller (own, shared with the caller’s teams)' })
  @ApiOkResponse({ type: [SmartListViewDto] })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest): Promise<CrmSmartListView[]> {
    return this.rpc.call(S.smartListList, request, {}, { retries: 1 });
  }

  @Get(':id')
  @RequirePermission('contacts:read')
  @ApiOperation({ summary: 'A smart list' })
  @ApiOkResponse({ type: SmartListViewDto })
  @ApiProblems(401, 403, 404)
  get(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<CrmSmartListView> {
    return this.rpc.call(S.smartListGet, request, { id }, { retries: 1 });
  }

  @Get(':id/contacts')
  @RequirePermission('contacts:read')
  @ApiOperation({ summary: 'Evaluate a smart list: its contacts within the caller’s scope, cursor-paginated' })
  @ApiOkResponse({ type: ContactPageDto })
  @ApiProblems(400, 401, 403, 404)
  contacts(
    @Req() request: GatewayRequest,
    @Param('id', uuidParam) id: string,
    @Query() query: PageQueryDto,
  ): Promise<Page<CrmContactView>> {
    return this.rpc.call(S.smartListContacts, request, { ...query, id }, { retries: 1 });
  }

  @Patch(':id')
  @RequirePermission('contacts:read')
  @ApiOperation({ summary: 'Change a smart list (its owner, or an admin)' })
  @ApiOkResponse({ type: SmartListViewDto })
  @ApiProblems(400, 401, 403, 404)
  update(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Body() body: UpdateSmartListDto): Promise<CrmSmartListView> {
    return this.rpc.call(S.smartListUpdate, request, { ...body, id });
  }

  @Delete(':id')
  @RequirePermission('contacts:read')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a smart list (its owner, or an admin)' })
  @ApiNoContentResponse()
  @ApiProblems(401, 403, 404)
  async delete(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<void> {
    await this.rpc.call(S.smartListDelete, request, { id });
  }
}
