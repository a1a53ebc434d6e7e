import { Body, Controller, Get, Put, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { NotificationPreferencesSubjects as S, type NotificationPreferencesView, type NotificationSettingsView } from '@keyhouse/contracts';
import { Authenticated, RequirePermission } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import {
  NotificationPreferencesUpdateDto,
  NotificationPreferencesViewDto,
  NotificationSettingsUpdateDto,
  NotificationSettingsViewDto,
} from './dto/notification-preferences.dto';

/**
 * `/v1/users/me/notification-preferences`: the caller's channel switches per notification type and
 * quiet hours (any signed-in user, their own; API keys answer 403 `USER_SESSION_REQUIRED`).
 * Served by the notifications service, which owns preferences (docs/adr/0035).
 */
@ApiTags('notifications')
@ApiBearerAuth()
@Controller('users/me/notification-preferences')
export class NotificationPreferencesHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get()
  @Authenticated()
  @ApiOperation({ summary: 'The caller’s channels per notification type (effective, with where each comes from) and quiet hours' })
  @ApiOkResponse({ type: NotificationPreferencesViewDto })
  @ApiProblems(401, 403)
  get(@Req() request: GatewayRequest): Promise<NotificationPreferencesView> {
    return this.rpc.call(S.getMine, request, {}, { retries: 1 });
  }

  @Put()
  @Authenticated()
  @ApiOperation({
    summary:
      'Replace the caller’s channel switches and quiet hours (SMS and push inside quiet hours wait for the window’s end); 422 NOTIFICATION_TYPE_MANDATORY for a default channel of a mandatory type switched off',
  })
  @ApiOkResponse({ type: NotificationPreferencesViewDto })
  @ApiProblems(400, 401, 403, 422)
  update(@Req() request: GatewayRequest, @Body() body: NotificationPreferencesUpdateDto): Promise<NotificationPreferencesView> {
    return this.rpc.call(S.updateMine, request, { preferences: body.preferences, quietHours: body.quietHours ?? null });
  }
}

/**
 * `/v1/notification-settings`: the organization's default channels per notification type,
 * mandatory types and the default zone of quiet hours (`notifications:manage`: owner and admin).
 */
@ApiTags('notifications')
@ApiBearerAuth()
@Controller('notification-settings')
export class NotificationSettingsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get()
  @RequirePermission('notifications:manage')
  @ApiOperation({ summary: 'The organization’s notification defaults, mandatory types and quiet-hours zone (owner/admin)' })
  @ApiOkResponse({ type: NotificationSettingsViewDto })
  @ApiProblems(401, 403)
  get(@Req() request: GatewayRequest): Promise<NotificationSettingsView> {
    return this.rpc.call(S.getSettings, request, {}, { retries: 1 });
  }

  @Put()
  @RequirePermission('notifications:manage')
  @ApiOperation({ summary: 'Replace the organization’s notification defaults, mandatory types and quiet-hours zone (owner/admin)' })
  @ApiOkResponse({ type: NotificationSettingsViewDto })
  @ApiProblems(400, 401, 403, 422)
  update(@Req() request: GatewayRequest, @Body() body: NotificationSettingsUpdateDto): Promise<NotificationSettingsView> {
    return this.rpc.call(S.updateSettings, request, {
      defaults: body.defaults,
      mandatoryTypes: body.mandatoryTypes,
      timeZone: body.timeZone ?? null,
    });
  }
}
