import { Body, Controller, Delete, Get, Header, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import {
  ListingsPropertySubjects as S,
  type ListingsImportResult,
  type Page,
  type PropertyComparablesResponse,
  type PropertyView,
  type PropertyWithDistance,
} from '@keyhouse/contracts';
import { RequirePermission } from '@keyhouse/platform/auth';
import { DomainException } from '@keyhouse/platform/messaging';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { Idempotent } from '../platform/idempotency.interceptor';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import { uuidParam } from '../users/users.http.controller';
import { splitCsv } from './csv-chunks.util';
import {
  ComparablesQueryDto,
  CreatePropertyDto,
  ImportQueryDto,
  ListPropertiesQueryDto,
  PolygonSearchDto,
  RadiusSearchQueryDto,
  UpdatePropertyDto,
} from './dto/property.dto';
import { ComparablesDto, ImportResultDto, PropertyPageDto, PropertyViewDto, RadiusPageDto } from './dto/property-views.dto';

/** Characters of CSV per import RPC: well under the 1 MiB NATS message limit once JSON-escaped. */
export const IMPORT_CHUNK_BYTES = 512 * 1024;
export const IMPORT_CHUNK_ROWS = 5000;

/** `/v1/properties`: RESO-named listings, polygon search, comparables and file import. */
@ApiTags('listings')
@ApiBearerAuth()
@Controller('properties')
export class PropertiesHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @RequirePermission('listings:write')
  @Idempotent()
  @ApiOperation({ summary: 'Create a listing (prices in integer cents; the caller is the list agent unless listAgentId says otherwise)' })
  @ApiCreatedResponse({ type: PropertyViewDto })
  @ApiProblems(400, 401, 403, 409, 422)
  create(@Req() request: GatewayRequest, @Body() body: CreatePropertyDto): Promise<PropertyView> {
    return this.rpc.call(S.create, request, body);
  }

  @Get()
  @RequirePermission('listings:read')
  @ApiOperation({
    summary:
      'List listings: filters status, type, price (cents), beds, baths, living area (sq ft), city, ZIP, list agent, modified since; sort; cursor',
  })
  @ApiOkResponse({ type: PropertyPageDto })
  @ApiProblems(400, 401, 403)
  list(@Req() request: GatewayRequest, @Query() query: ListPropertiesQueryDto): Promise<Page<PropertyView>> {
    return this.rpc.call(S.list, request, query, { retries: 1 });
  }

  @Post('search')
  @HttpCode(200)
  @RequirePermission('listings:read')
  @ApiOperation({
    summary: 'Listings inside a GeoJSON Polygon or MultiPolygon (closed rings, ≤ 2000 positions, valid geometry), with the list filters',
  })
  @ApiOkResponse({ type: PropertyPageDto })
  @ApiProblems(400, 401, 403)
  search(@Req() request: GatewayRequest, @Body() body: PolygonSearchDto): Promise<Page<PropertyView>> {
    return this.rpc.call(
      S.polygonSearch,
      request,
      {
        ...(body.filters ?? {}),
        geometry: body.geometry,
        sort: body.sort,
        limit: body.limit,
        cursor: body.cursor,
      },
      { retries: 1 },
    );
  }

  @Post('import')
  @HttpCode(200)
  @RequirePermission('listings:import')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary:
      'Import a King County house-sales CSV (text/csv) as Closed listings; idempotent (ListingKey = KC id + sale date); answers counts and rejected rows with reasons',
  })
  @ApiConsumes('text/csv')
  @ApiBody({ schema: { type: 'string', example: 'id,date,price,bedrooms,...' } })
  @ApiOkResponse({ type: ImportResultDto })
  @ApiProblems(400, 401, 403, 413, 422)
  async import(@Req() request: GatewayRequest, @Body() body: unknown, @Query() query: ImportQueryDto): Promise<ListingsImportResult> {
    if (typeof body !== 'string' || body.trim() === '') {
      throw DomainException.validation([{ field: 'body', message: 'must be a non-empty text/csv document' }]);
    }
    const chunks = splitCsv(body, IMPORT_CHUNK_BYTES, IMPORT_CHUNK_ROWS);
    if (chunks.length === 0) throw DomainException.validation([{ field: 'body', message: 'has a header but no records' }]);
    const total: ListingsImportResult = { rows: 0, created: 0, updated: 0, unchanged: 0, rejected: 0, rejectedRows: [], durationMs: 0 };
    const started = Date.now();
    // Sequential: each chunk is one transaction in the service; a failure leaves earlier chunks
    // committed, and importing the file again is safe (upsert by ListingKey).
    for (const chunk of chunks) {
      const result = await this.rpc.call(
        S.importChunk,
        request,
        { format: query.format ?? 'king-county', csv: chunk.csv, rowOffset: chunk.rowOffset, listAgentId: query.listAgentId },
        { timeoutMs: 60_000 },
      );
      total.rows += result.rows;
      total.created += result.created;
      total.updated += result.updated;
      total.unchanged += result.unchanged;
      total.rejected += result.rejected;
      total.rejectedRows.push(...result.rejectedRows.slice(0, Math.max(0, 1000 - total.rejectedRows.length)));
    }
    total.durationMs = Date.now() - started;
    return total;
  }

  @Get(':id')
  @RequirePermission('listings:read')
  @ApiOperation({ summary: 'A listing' })
  @ApiOkResponse({ type: PropertyViewDto })
  @ApiProblems(400, 401, 403, 404)
  get(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<PropertyView> {
    return this.rpc.call(S.get, request, { id }, { retries: 1 });
  }

  @Patch(':id')
  @RequirePermission('listings:write')
  @ApiOperation({
    summary: 'Change a listing; StandardStatus changes follow the RESO transition table, Closed needs closePrice and closeDate',
  })
  @ApiOkResponse({ type: PropertyViewDto })
  @ApiProblems(400, 401, 403, 404, 422)
  update(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Body() body: UpdatePropertyDto): Promise<PropertyView> {
    return this.rpc.call(S.update, request, { ...body, id });
  }

  @Delete(':id')
  @RequirePermission('listings:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a listing (soft delete; it leaves lists and searches)' })
  @ApiNoContentResponse()
  @ApiProblems(400, 401, 403, 404)
  async delete(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<void> {
    await this.rpc.call(S.delete, request, { id });
  }

  @Get(':id/comparables')
  @RequirePermission('listings:read')
  @ApiOperation({
    summary:
      'Comparable closed sales near the subject (radius, recency, similar beds and living area) with distance, $/sq ft and a suggested range',
  })
  @ApiOkResponse({ type: ComparablesDto })
  @ApiProblems(400, 401, 403, 404, 422)
  comparables(
    @Req() request: GatewayRequest,
    @Param('id', uuidParam) id: string,
    @Query() query: ComparablesQueryDto,
  ): Promise<PropertyComparablesResponse> {
    return this.rpc.call(S.comparables, request, { ...query, id }, { retries: 1 });
  }
}

/** `/v1/geo`: radius search. */
@ApiTags('listings')
@ApiBearerAuth()
@Controller('geo')
export class GeoHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get('radius-search')
  @RequirePermission('listings:read')
  @ApiOperation({
    summary: 'Listings within `radius` metres (≤ 50 km) of lat/lng, nearest first with distanceMeters; combinable with the list filters',
  })
  @ApiOkResponse({ type: RadiusPageDto })
  @ApiProblems(400, 401, 403)
  radiusSearch(@Req() request: GatewayRequest, @Query() query: RadiusSearchQueryDto): Promise<Page<PropertyWithDistance>> {
    const { lat, lng, ...rest } = query;
    return this.rpc.call(S.radiusSearch, request, { ...rest, latitude: lat, longitude: lng }, { retries: 1 });
  }
}
