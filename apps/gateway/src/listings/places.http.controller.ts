import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ListingsPlacesSubjects as S, type ListingsNearbyPlace, type ListingsPlacesLoadResponse } from '@keyhouse/contracts';
import { RequirePermission } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import { uuidParam } from '../users/users.http.controller';
import { LoadPlacesDto, NearbyPlacesDto, NearbyQueryDto, PlacesLoadResultDto } from './dto/places.dto';

/** `/v1/places` (admin load) and `/v1/properties/:id/nearby`. */
@ApiTags('listings')
@ApiBearerAuth()
@Controller()
export class PlacesHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post('places')
  @HttpCode(200)
  @RequirePermission('listings:import')
  @ApiOperation({
    summary:
      'Load places (schools, hospitals, shops, …) answered by the local nearby-places provider; same category + name moves the place',
  })
  @ApiOkResponse({ type: PlacesLoadResultDto })
  @ApiProblems(400, 401, 403)
  load(@Req() request: GatewayRequest, @Body() body: LoadPlacesDto): Promise<ListingsPlacesLoadResponse> {
    return this.rpc.call(S.load, request, body);
  }

  @Get('properties/:id/nearby')
  @RequirePermission('listings:read')
  @ApiOperation({ summary: 'Places near a listing, nearest first (radius in metres, categories)' })
  @ApiOkResponse({ type: NearbyPlacesDto })
  @ApiProblems(400, 401, 403, 404)
  nearby(
    @Req() request: GatewayRequest,
    @Param('id', uuidParam) id: string,
    @Query() query: NearbyQueryDto,
  ): Promise<{ items: ListingsNearbyPlace[] }> {
    return this.rpc.call(S.nearby, request, { ...query, propertyId: id }, { retries: 1 });
  }
}
