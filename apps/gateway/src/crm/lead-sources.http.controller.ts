import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, type PipeTransform } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CrmLeadSourceSubjects as L, type CrmLeadSourceReport, type CrmLeadSourceView } from '@keyhouse/contracts';
import { RequirePermission } from '@keyhouse/platform/auth';
import { DomainException } from '@keyhouse/platform/messaging';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { Idempotent } from '../platform/idempotency.interceptor';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import {
  CreateLeadSourceDto,
  LEAD_SOURCE_KEY,
  LeadSourceListQueryDto,
  LeadSourceReportDto,
  LeadSourceReportQueryDto,
  LeadSourceViewDto,
  UpdateLeadSourceDto,
} from './dto/lead-sources.dto';

/** The `:key` of a lead source route: 400 (`key`) unless it has a key's shape. */
export const leadSourceKeyParam: PipeTransform<string, string> = {
  transform(value: string): string {
    if (!LEAD_SOURCE_KEY.test(value)) throw DomainException.validation([{ field: 'key', message: 'must be a lead source key' }]);
    return value;
  },
};

/**
 * `/v1/lead-sources`: the organization's lead sources (issue 13 item 16; docs/adr/0032) — the
 * defaults every organization starts with and its own, which contacts, intake, assignment rules,
 * smart lists and the import are validated against by the crm.
 */
@ApiTags('lead sources')
@ApiBearerAuth()
@Controller('lead-sources')
export class LeadSourcesHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get()
  @RequirePermission('organizations:read')
  @ApiOperation({ summary: 'The organization’s lead sources in list order (archived ones with includeArchived=true)' })
  @ApiOkResponse({ type: [LeadSourceViewDto] })
  @ApiProblems(400, 401, 403)
  list(@Req() request: GatewayRequest, @Query() query: LeadSourceListQueryDto): Promise<CrmLeadSourceView[]> {
    return this.rpc.call(L.list, request, query, { retries: 1 });
  }

  @Post()
  @RequirePermission('organizations:write')
  @Idempotent()
  @ApiOperation({ summary: 'Add a lead source at the end of the list (409 LEAD_SOURCE_EXISTS for a key the organization has)' })
  @ApiCreatedResponse({ type: LeadSourceViewDto })
  @ApiProblems(400, 401, 403, 409)
  create(@Req() request: GatewayRequest, @Body() body: CreateLeadSourceDto): Promise<CrmLeadSourceView> {
    return this.rpc.call(L.create, request, body);
  }

  @Patch(':key')
  @RequirePermission('organizations:write')
  @ApiOperation({ summary: 'Relabel, archive or restore, or move a lead source' })
  @ApiOkResponse({ type: LeadSourceViewDto })
  @ApiProblems(400, 401, 403, 404)
  update(
    @Req() request: GatewayRequest,
    @Param('key', leadSourceKeyParam) key: string,
    @Body() body: UpdateLeadSourceDto,
  ): Promise<CrmLeadSourceView> {
    return this.rpc.call(L.update, request, { ...body, key });
  }

  @Delete(':key')
  @RequirePermission('organizations:write')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a lead source no contact, assignment rule or smart list names (409 LEAD_SOURCE_IN_USE: archive it instead)',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 401, 403, 404, 409)
  async delete(@Req() request: GatewayRequest, @Param('key', leadSourceKeyParam) key: string): Promise<void> {
    await this.rpc.call(L.delete, request, { key });
  }
}

/** `/v1/reports/lead-sources`: leads per source and how far they got, in the caller's reports scope. */
@ApiTags('lead sources')
@ApiBearerAuth()
@Controller('reports')
export class LeadSourceReportsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get('lead-sources')
  @RequirePermission('reports:read')
  @ApiOperation({
    summary:
      'Lead-source report: contacts created from/to (UTC days, inclusive; default the last 90 days) per source, with how many are now contacted, qualified, closed or lost and the conversion (closed / leads, basis points). Agents: their own contacts; managers: their teams’; admins: the organization’s',
  })
  @ApiOkResponse({ type: LeadSourceReportDto })
  @ApiProblems(400, 401, 403)
  report(@Req() request: GatewayRequest, @Query() query: LeadSourceReportQueryDto): Promise<CrmLeadSourceReport> {
    return this.rpc.call(L.report, request, query, { retries: 1 });
  }
}
