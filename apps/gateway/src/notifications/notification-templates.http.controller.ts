import { Body, Controller, Get, Param, Put, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { NotificationTemplatesSubjects as T, type NotificationTemplateListView, type NotificationTemplateView } from '@keyhouse/contracts';
import { RequirePermission } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import { NotificationTemplateListDto, NotificationTemplateUpdateDto, NotificationTemplateViewDto } from './dto/notification-templates.dto';

/**
 * `/v1/notification-templates`: the organization's SendGrid dynamic template per email kind (issue
 * 14), owners and admins only (`notifications:manage`, held at `org` scope by the built-in owner and
 * admin roles). Served by the notifications service over NATS, always for the caller's own organization.
 */
@ApiTags('notifications')
@ApiBearerAuth()
@Controller('notification-templates')
export class NotificationTemplatesHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get()
  @RequirePermission('notifications:manage')
  @ApiOperation({
    summary:
      'Every email kind (notification type) with its built-in default subject and body and the organization’s SendGrid dynamic template id (null: the built-in default, with the organization’s branding)',
  })
  @ApiOkResponse({ type: NotificationTemplateListDto })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest): Promise<NotificationTemplateListView> {
    return this.rpc.call(T.list, request, {}, { retries: 1 });
  }

  @Put(':type')
  @RequirePermission('notifications:manage')
  @ApiOperation({
    summary:
      'Set the organization’s SendGrid dynamic template id of an email kind (null: back to the built-in default); emits notifications.template.updated (audited); 404 for an unknown type',
  })
  @ApiOkResponse({ type: NotificationTemplateViewDto })
  @ApiProblems(400, 401, 403, 404)
  update(
    @Req() request: GatewayRequest,
    @Param('type') type: string,
    @Body() body: NotificationTemplateUpdateDto,
  ): Promise<NotificationTemplateView> {
    return this.rpc.call(T.update, request, { type, sendgridTemplateId: body.sendgridTemplateId });
  }
}
