import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { NotificationPreferencesSubjects as S, type Page, type PushDeviceView } from '@keyhouse/contracts';
import { Authenticated } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import { PageQueryDto } from '../users/dto/users.dto';
import { uuidParam } from '../users/users.http.controller';
import { PushDevicePageDto, PushDeviceRegisterDto, PushDeviceViewDto } from './dto/devices.dto';

/**
 * `/v1/devices`: the caller's push devices (FCM registration tokens). Any signed-in user, their own
 * devices only (another user's device answers 404 `DEVICE_NOT_FOUND`); API keys answer 403
 * `USER_SESSION_REQUIRED`. Registering is idempotent on the token.
 */
@ApiTags('notifications')
@ApiBearerAuth()
@Controller('devices')
export class DevicesHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @Authenticated()
  @ApiOperation({ summary: 'Register an FCM token for the caller (idempotent on the token: the same token updates its device)' })
  @ApiCreatedResponse({ type: PushDeviceViewDto })
  @ApiProblems(400, 401, 403)
  register(@Req() request: GatewayRequest, @Body() body: PushDeviceRegisterDto): Promise<PushDeviceView> {
    return this.rpc.call(S.registerDevice, request, { token: body.token, platform: body.platform, name: body.name ?? null });
  }

  @Get()
  @Authenticated()
  @ApiOperation({ summary: 'The caller’s devices, oldest first' })
  @ApiOkResponse({ type: PushDevicePageDto })
  @ApiProblems(400, 401, 403)
  list(@Req() request: GatewayRequest, @Query() query: PageQueryDto): Promise<Page<PushDeviceView>> {
    return this.rpc.call(S.listDevices, request, query, { retries: 1 });
  }

  @Delete(':id')
  @Authenticated()
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove one of the caller’s devices' })
  @ApiNoContentResponse()
  @ApiProblems(401, 403, 404)
  async remove(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<void> {
    await this.rpc.call(S.deleteDevice, request, { id });
  }
}
