import { Body, Controller, Get, Param, Patch, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  NotificationTriggersSubjects as T,
  type NotificationTriggerListView,
  type NotificationTriggerUpdateRequest,
  type NotificationTriggerView,
} from '@keyhouse/contracts';
import { RequirePermission } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import { NotificationTriggerListDto, NotificationTriggerUpdateDto, NotificationTriggerViewDto } from './dto/notification-triggers.dto';

/**
 * `/v1/notification-triggers`: the built-in notification triggers and the organization's switches
 * (issue 14 "Triggers and history"), owners and admins only (`notifications:manage`, held at `org`
 * scope by the built-in owner and admin roles). Served by the notifications service over NATS,
 * always for the caller's own organization.
 */
@ApiTags('notifications')
@ApiBearerAuth()
@Controller('notification-triggers')
export class NotificationTriggersHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get()
  @RequirePermission('notifications:manage')
  @ApiOperation({
    summary:
      'Every built-in notification trigger: its events, recipients in words, default channels, default template, and whether it is on for the organization (with its channels override)',
  })
  @ApiOkResponse({ type: NotificationTriggerListDto })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest): Promise<NotificationTriggerListView> {
    return this.rpc.call(T.list, request, {}, { retries: 1 });
  }

  @Patch(':type')
  @RequirePermission('notifications:manage')
  @ApiOperation({
    summary:
      'Switch a built-in trigger on or off for the organization, optionally with its own channels (null: back to the defaults); emits notifications.trigger.updated (audited); 404 for an unknown type',
  })
  @ApiOkResponse({ type: NotificationTriggerViewDto })
  @ApiProblems(400, 401, 403, 404)
  update(
    @Req() request: GatewayRequest,
    @Param('type') type: string,
    @Body() body: NotificationTriggerUpdateDto,
  ): Promise<NotificationTriggerView> {
    const data: NotificationTriggerUpdateRequest = { type, enabled: body.enabled };
    if (body.channels !== undefined) data.channels = body.channels;
    return this.rpc.call(T.update, request, data);
  }
}
