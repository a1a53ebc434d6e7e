import { Controller, Get, Param, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { NotificationsSubjects, type ContactEmailActivityView, type Page } from '@keyhouse/contracts';
import { RequirePermission } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import { uuidParam } from '../users/users.http.controller';
import { ContactEmailActivityPageDto, ContactEmailActivityQueryDto } from './dto/contact-email-activity.dto';

/**
 * `GET /v1/contacts/:id/email-activity`: the emails sent (or blocked) to a contact and SendGrid's
 * events about them, newest first, answered by the notifications service
 * (`notifications.contacts.email-activity`). `contacts:read` like reading the contact: agents their
 * own contacts, managers their teams', admins the organization's; another organization's contact or
 * one out of reach answers 404 `CONTACT_NOT_FOUND`.
 */
@ApiTags('contacts')
@ApiBearerAuth()
@Controller('contacts')
export class ContactEmailActivityHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get(':id/email-activity')
  @RequirePermission('contacts:read')
  @ApiOperation({ summary: 'Email activity of a contact (sends, opens, clicks, bounces), newest first, cursor-paginated' })
  @ApiOkResponse({ type: ContactEmailActivityPageDto })
  @ApiProblems(400, 401, 403, 404)
  emailActivity(
    @Req() request: GatewayRequest,
    @Param('id', uuidParam) id: string,
    @Query() query: ContactEmailActivityQueryDto,
  ): Promise<Page<ContactEmailActivityView>> {
    return this.rpc.call(NotificationsSubjects.contactEmailActivity, request, { ...query, contactId: id }, { retries: 1 });
  }
}
