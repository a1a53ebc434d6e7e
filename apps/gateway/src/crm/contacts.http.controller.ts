import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  CrmContactSubjects as S,
  type CrmBulkResult,
  type CrmContactAssignmentView,
  type CrmContactNoteView,
  type CrmContactView,
  type CrmCustomFieldView,
  type CrmTimelineEntry,
  type Page,
} from '@keyhouse/contracts';
import { RequirePermission } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request';
import { Idempotent } from '../platform/idempotency.interceptor';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import { uuidParam } from '../users/users.http.controller';
import {
  AssignContactDto,
  BulkAssignDto,
  BulkStatusDto,
  BulkTagsDto,
  CreateContactDto,
  CreateCustomFieldDto,
  CreateNoteDto,
  ListContactsQueryDto,
  MergeContactDto,
  TimelineQueryDto,
  UpdateContactDto,
  UpdateNoteDto,
} from './dto/contacts.dto';
import { ContactPageDto, ContactViewDto } from './dto/views.dto';

/**
 * `/v1/contacts`: leads and clients. Agents reach the contacts they own, managers their teams',
 * admins the organization's; a contact out of reach or of another organization is a 404.
 */
@ApiTags('contacts')
@ApiBearerAuth()
@Controller('contacts')
export class ContactsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @RequirePermission('contacts:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Create a contact. Duplicates (same email, same phone, similar name with same ZIP or phone suffix) answer 409 with duplicates[] unless onDuplicate=create|merge; a merge answers 200',
  })
  @ApiCreatedResponse({ type: ContactViewDto })
  @ApiProblems(400, 401, 403, 409)
  async create(@Req() request: GatewayRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body() body: CreateContactDto): Promise<CrmContactView> {
    const result = await this.rpc.call<{ contact: CrmContactView; merged: boolean }>(S.create, request, body);
    if (result.merged) void reply.status(200);
    return result.contact;
  }

  @Get()
  @RequirePermission('contacts:read')
  @ApiOperation({ summary: 'List contacts (filters: status, score, type, source, tag, owner, team, pond, company, created and last-contacted ranges, q; sort; cursor)' })
  @ApiOkResponse({ type: ContactPageDto })
  @ApiProblems(400, 401, 403)
  list(@Req() request: GatewayRequest, @Query() query: ListContactsQueryDto): Promise<Page<CrmContactView>> {
    return this.rpc.call(S.list, request, query, { retries: 1 });
  }

  @Post('bulk/status')
  @RequirePermission('contacts:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Set the status of up to 10,000 contacts, all or nothing' })
  @ApiProblems(400, 401, 403, 404)
  bulkStatus(@Req() request: GatewayRequest, @Body() body: BulkStatusDto): Promise<CrmBulkResult> {
    return this.rpc.call(S.bulkStatus, request, body, { timeoutMs: 60_000 });
  }

  @Post('bulk/assign')
  @RequirePermission('contacts:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Assign up to 10,000 contacts to one owner, all or nothing (managers and admins)' })
  @ApiProblems(400, 401, 403, 404)
  bulkAssign(@Req() request: GatewayRequest, @Body() body: BulkAssignDto): Promise<CrmBulkResult> {
    return this.rpc.call(S.bulkAssign, request, body, { timeoutMs: 60_000 });
  }

  @Post('bulk/tags')
  @RequirePermission('contacts:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add and remove tags on up to 10,000 contacts, all or nothing' })
  @ApiProblems(400, 401, 403, 404)
  bulkTags(@Req() request: GatewayRequest, @Body() body: BulkTagsDto): Promise<CrmBulkResult> {
    return this.rpc.call(S.bulkTags, request, body, { timeoutMs: 60_000 });
  }

  @Get(':id')
  @RequirePermission('contacts:read')
  @ApiOperation({ summary: 'A contact with its score and the reasons' })
  @ApiOkResponse({ type: ContactViewDto })
  @ApiProblems(401, 403, 404)
  get(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<CrmContactView> {
    return this.rpc.call(S.get, request, { id }, { retries: 1 });
  }

  @Patch(':id')
  @RequirePermission('contacts:write')
  @ApiOperation({ summary: 'Change a contact (fields given replace; a new email or phone of another contact is a 409)' })
  @ApiOkResponse({ type: ContactViewDto })
  @ApiProblems(400, 401, 403, 404, 409)
  update(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Body() body: UpdateContactDto): Promise<CrmContactView> {
    return this.rpc.call(S.update, request, { ...body, id });
  }

  @Delete(':id')
  @RequirePermission('contacts:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a contact (soft: history kept)' })
  @ApiNoContentResponse()
  @ApiProblems(401, 403, 404)
  async delete(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<void> {
    await this.rpc.call(S.delete, request, { id });
  }

  @Post(':id/merge')
  @RequirePermission('contacts:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Merge sourceId into this contact (survivor keeps its fields, gains what it lacks; notes, timeline, submissions move over)' })
  @ApiOkResponse({ type: ContactViewDto })
  @ApiProblems(400, 401, 403, 404)
  merge(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Body() body: MergeContactDto): Promise<CrmContactView> {
    return this.rpc.call(S.merge, request, { id, sourceId: body.sourceId });
  }

  @Patch(':id/assign')
  @RequirePermission('contacts:write')
  @ApiOperation({ summary: 'Assign a contact by hand (managers within their teams, admins)' })
  @ApiOkResponse({ type: ContactViewDto })
  @ApiProblems(400, 401, 403, 404)
  assign(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Body() body: AssignContactDto): Promise<CrmContactView> {
    return this.rpc.call(S.assign, request, { id, ownerId: body.ownerId ?? null, reason: body.reason });
  }

  @Get(':id/assignment')
  @RequirePermission('contacts:read')
  @ApiOperation({ summary: 'Why the contact is assigned as it is: rule, reason, deadline and history' })
  @ApiProblems(401, 403, 404)
  assignment(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<CrmContactAssignmentView> {
    return this.rpc.call(S.assignmentGet, request, { id }, { retries: 1 });
  }

  @Get(':id/timeline')
  @RequirePermission('contacts:read')
  @ApiOperation({ summary: 'Activity timeline, newest first, cursor-paginated' })
  @ApiProblems(400, 401, 403, 404)
  timeline(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Query() query: TimelineQueryDto): Promise<Page<CrmTimelineEntry>> {
    return this.rpc.call(S.timeline, request, { ...query, id }, { retries: 1 });
  }

  @Get(':id/notes')
  @RequirePermission('contacts:read')
  @ApiOperation({ summary: 'Notes of a contact, pinned first' })
  @ApiProblems(401, 403, 404)
  notes(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<CrmContactNoteView[]> {
    return this.rpc.call(S.noteList, request, { contactId: id }, { retries: 1 });
  }

  @Post(':id/notes')
  @RequirePermission('contacts:write')
  @Idempotent()
  @ApiOperation({ summary: 'Add a note' })
  @ApiProblems(400, 401, 403, 404)
  noteCreate(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Body() body: CreateNoteDto): Promise<CrmContactNoteView> {
    return this.rpc.call(S.noteCreate, request, { ...body, contactId: id });
  }

  @Patch(':id/notes/:noteId')
  @RequirePermission('contacts:write')
  @ApiOperation({ summary: 'Edit or pin a note' })
  @ApiProblems(400, 401, 403, 404)
  noteUpdate(
    @Req() request: GatewayRequest,
    @Param('id', uuidParam) id: string,
    @Param('noteId', uuidParam) noteId: string,
    @Body() body: UpdateNoteDto,
  ): Promise<CrmContactNoteView> {
    return this.rpc.call(S.noteUpdate, request, { ...body, contactId: id, noteId });
  }

  @Delete(':id/notes/:noteId')
  @RequirePermission('contacts:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a note' })
  @ApiProblems(401, 403, 404)
  async noteDelete(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Param('noteId', uuidParam) noteId: string): Promise<void> {
    await this.rpc.call(S.noteDelete, request, { contactId: id, noteId });
  }
}

/** `GET /v1/leads`: the contact list under the name lead sources and the seeds use. */
@ApiTags('contacts')
@ApiBearerAuth()
@Controller('leads')
export class LeadsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get()
  @RequirePermission('contacts:read')
  @ApiOperation({ summary: 'The contact list (same filters as GET /v1/contacts), e.g. ?source=referral' })
  @ApiOkResponse({ type: ContactPageDto })
  @ApiProblems(400, 401, 403)
  list(@Req() request: GatewayRequest, @Query() query: ListContactsQueryDto): Promise<Page<CrmContactView>> {
    return this.rpc.call(S.list, request, query, { retries: 1 });
  }
}

/** `/v1/contact-fields`: the organization's custom contact fields (definitions by admins). */
@ApiTags('contacts')
@ApiBearerAuth()
@Controller('contact-fields')
export class ContactFieldsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get()
  @RequirePermission('contacts:read')
  @ApiOperation({ summary: 'Custom contact fields of the organization' })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest): Promise<CrmCustomFieldView[]> {
    return this.rpc.call(S.fieldList, request, {}, { retries: 1 });
  }

  @Post()
  @RequirePermission('contacts:write')
  @Idempotent()
  @ApiOperation({ summary: 'Define a custom contact field (admin)' })
  @ApiProblems(400, 401, 403, 409)
  create(@Req() request: GatewayRequest, @Body() body: CreateCustomFieldDto): Promise<CrmCustomFieldView> {
    return this.rpc.call(S.fieldCreate, request, body);
  }

  @Delete(':id')
  @RequirePermission('contacts:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a custom field definition (admin); stored values stay until edited' })
  @ApiProblems(401, 403, 404)
  async delete(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<void> {
    await this.rpc.call(S.fieldDelete, request, { id });
  }
}
