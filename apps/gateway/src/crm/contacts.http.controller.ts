import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyReply } from 'fastify';
import {
  CrmContactSubjects as S,
  type CrmBulkResult,
  CRM_IMPORT_FIELDS,
  type CrmContactAssignmentView,
  type CrmContactDataExport,
  type CrmImportField,
  type CrmImportResult,
  type CrmImportRowsRequest,
  type CrmContactNoteView,
  type CrmContactView,
  type CrmCustomFieldView,
  type CrmTimelineEntry,
  type Page,
} from '@keyhouse/contracts';
import { RequirePermission } from '@keyhouse/platform/auth';
import { DomainException } from '@keyhouse/platform/messaging';
import type { GatewayRequest } from '../platform/gateway-request.type';
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
  ImportQueryDto,
  ListContactsQueryDto,
  MergeContactDto,
  TimelineQueryDto,
  UpdateContactDto,
  UpdateCustomFieldDto,
  UpdateNoteDto,
} from './dto/contacts.dto';
import {
  BulkResultDto,
  ContactAssignmentViewDto,
  ContactDataExportDto,
  ContactNoteViewDto,
  CustomFieldViewDto,
  ImportResultDto,
  TimelinePageDto,
} from './dto/responses.dto';
import { ContactPageDto, ContactViewDto } from './dto/views.dto';

/** Most rows one CSV export answers. */
export const EXPORT_MAX_ROWS = 50_000;
const IMPORT_CHUNK = 500;
const IMPORT_MAX_ROWS = 20_000;

const EXPORT_COLUMNS: Array<[string, (contact: CrmContactView) => string]> = [
  ['id', (c) => c.id],
  ['firstName', (c) => c.firstName ?? ''],
  ['lastName', (c) => c.lastName ?? ''],
  ['email', (c) => c.email ?? ''],
  ['phone', (c) => c.phone ?? ''],
  ['type', (c) => c.type ?? ''],
  ['status', (c) => c.status],
  ['score', (c) => c.score],
  ['ownerId', (c) => c.ownerId ?? ''],
  ['source', (c) => c.source ?? ''],
  ['tags', (c) => c.tags.join(';')],
  ['postalCode', (c) => c.address.postalCode ?? ''],
  ['city', (c) => c.address.city ?? ''],
  ['lastContactedAt', (c) => c.lastContactedAt ?? ''],
  ['createdAt', (c) => c.createdAt],
];

/**
 * Parses a CSV document with a header row and maps its columns to import fields: by `mapping`
 * (JSON object header → field) or, without it, headers equal to a field name (case-insensitive).
 * Row numbers count the header as row 1. A CSV that cannot be parsed is a 400.
 */
export function mapCsv(csv: string, mappingJson?: string): CrmImportRowsRequest['rows'] {
  let records: string[][];
  try {
    records = parse(csv, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as string[][];
  } catch (error) {
    throw DomainException.validation([{ field: 'body', message: `is not valid CSV: ${(error as Error).message}` }]);
  }
  if (records.length < 2) throw DomainException.validation([{ field: 'body', message: 'needs a header row and at least one row' }]);
  if (records.length - 1 > IMPORT_MAX_ROWS)
    throw DomainException.validation([{ field: 'body', message: `has more than ${IMPORT_MAX_ROWS} rows` }]);
  let mapping: Record<string, string> = {};
  if (mappingJson) {
    try {
      mapping = JSON.parse(mappingJson) as Record<string, string>;
    } catch {
      throw DomainException.validation([{ field: 'mapping', message: 'must be a JSON object of CSV header → field' }]);
    }
    const bad = Object.values(mapping).filter((field) => !(CRM_IMPORT_FIELDS as readonly string[]).includes(field));
    if (typeof mapping !== 'object' || bad.length > 0)
      throw DomainException.validation([{ field: 'mapping', message: `unknown fields: ${bad.join(', ')}` }]);
  }
  const header = records[0];
  const fields = header.map((name) => {
    if (mappingJson) return (mapping[name] as CrmImportField | undefined) ?? null;
    return CRM_IMPORT_FIELDS.find((field) => field.toLowerCase() === name.replace(/[\s_-]/g, '').toLowerCase()) ?? null;
  });
  if (!fields.some(Boolean)) throw DomainException.validation([{ field: 'mapping', message: 'maps no CSV column to a contact field' }]);
  return records.slice(1).map((record, i) => {
    const values: Partial<Record<CrmImportField, string>> = {};
    fields.forEach((field, column) => {
      if (field && record[column]) values[field] = record[column];
    });
    return { row: i + 2, values };
  });
}

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
    summary:
      'Create a contact. Duplicates (same email, same phone, similar name with same ZIP or phone suffix) answer 409 with duplicates[] unless onDuplicate=create|merge; a merge answers 200',
  })
  @ApiCreatedResponse({ type: ContactViewDto })
  @ApiProblems(400, 401, 403, 409)
  async create(
    @Req() request: GatewayRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: CreateContactDto,
  ): Promise<CrmContactView> {
    const result = await this.rpc.call(S.create, request, body);
    if (result.merged) void reply.status(200);
    return result.contact;
  }

  @Get()
  @RequirePermission('contacts:read')
  @ApiOperation({
    summary:
      'List contacts (filters: status, score, type, source, tag, owner, team, pond, company, created and last-contacted ranges, q; sort; cursor)',
  })
  @ApiOkResponse({ type: ContactPageDto })
  @ApiProblems(400, 401, 403)
  list(@Req() request: GatewayRequest, @Query() query: ListContactsQueryDto): Promise<Page<CrmContactView>> {
    return this.rpc.call(S.list, request, query, { retries: 1 });
  }

  @Post('bulk/status')
  @RequirePermission('contacts:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Set the status of up to 10,000 contacts, all or nothing' })
  @ApiOkResponse({ type: BulkResultDto })
  @ApiProblems(400, 401, 403, 404)
  bulkStatus(@Req() request: GatewayRequest, @Body() body: BulkStatusDto): Promise<CrmBulkResult> {
    return this.rpc.call(S.bulkStatus, request, body, { timeoutMs: 60_000 });
  }

  @Post('bulk/assign')
  @RequirePermission('contacts:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Assign up to 10,000 contacts to one owner, all or nothing (managers and admins)' })
  @ApiOkResponse({ type: BulkResultDto })
  @ApiProblems(400, 401, 403, 404)
  bulkAssign(@Req() request: GatewayRequest, @Body() body: BulkAssignDto): Promise<CrmBulkResult> {
    return this.rpc.call(S.bulkAssign, request, body, { timeoutMs: 60_000 });
  }

  @Post('bulk/tags')
  @RequirePermission('contacts:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add and remove tags on up to 10,000 contacts, all or nothing' })
  @ApiOkResponse({ type: BulkResultDto })
  @ApiProblems(400, 401, 403, 404)
  bulkTags(@Req() request: GatewayRequest, @Body() body: BulkTagsDto): Promise<CrmBulkResult> {
    return this.rpc.call(S.bulkTags, request, body, { timeoutMs: 60_000 });
  }

  @Get('export')
  @RequirePermission('contacts:export')
  @ApiOperation({ summary: `Export the filtered contact list as CSV (same filters as the list; at most ${EXPORT_MAX_ROWS} rows)` })
  @ApiProduces('text/csv')
  @ApiProblems(400, 401, 403)
  async export(
    @Req() request: GatewayRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Query() query: ListContactsQueryDto,
  ): Promise<string> {
    const lines: string[][] = [EXPORT_COLUMNS.map((column) => column[0])];
    let cursor: string | undefined;
    do {
      const page = await this.rpc.call(S.list, request, { ...query, limit: 100, cursor }, { retries: 1 });
      for (const contact of page.items) lines.push(EXPORT_COLUMNS.map(([, pick]) => pick(contact)));
      cursor = page.nextCursor ?? undefined;
    } while (cursor && lines.length <= EXPORT_MAX_ROWS);
    void reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="contacts.csv"');
    return stringify(lines);
  }

  @Post('import')
  @RequirePermission('contacts:write')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Import contacts from a CSV with a header row (text/csv body, or a multipart/form-data upload of one file). mapping (query, JSON) maps CSV headers to fields (firstName, lastName, email, phone, type, status, source, tags, postalCode, city, state, street, minPriceCents, maxPriceCents); without it headers named like the fields are used. Each row is validated and deduplicated (merged, or skipped with onDuplicate=skip); answers created, merged and rejected rows with reasons',
  })
  @ApiConsumes('text/csv', 'multipart/form-data')
  @ApiOkResponse({ type: ImportResultDto })
  @ApiProblems(400, 401, 403, 413)
  async import(@Req() request: GatewayRequest, @Body() body: unknown, @Query() query: ImportQueryDto): Promise<CrmImportResult> {
    let csv = body;
    const multipart = request as unknown as { isMultipart?(): boolean; file(): Promise<MultipartFile | undefined> };
    if (multipart.isMultipart?.()) {
      const part = await multipart.file();
      if (!part) throw DomainException.validation([{ field: 'file', message: 'is required' }]);
      csv = (await part.toBuffer()).toString('utf8');
    }
    if (typeof csv !== 'string')
      throw DomainException.validation([{ field: 'body', message: 'must be a text/csv document or a multipart upload of one' }]);
    const rows = mapCsv(csv, query.mapping);
    const total: CrmImportResult = { created: 0, merged: 0, rejected: [] };
    for (let start = 0; start < rows.length; start += IMPORT_CHUNK) {
      const chunk = rows.slice(start, start + IMPORT_CHUNK);
      const result = await this.rpc.call(
        S.importRows,
        request,
        { rows: chunk, onDuplicate: query.onDuplicate ?? 'merge' },
        { timeoutMs: 120_000 },
      );
      total.created += result.created;
      total.merged += result.merged;
      total.rejected.push(...result.rejected);
    }
    return total;
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
  @ApiOperation({
    summary: 'Merge sourceId into this contact (survivor keeps its fields, gains what it lacks; notes, timeline, submissions move over)',
  })
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

  @Get(':id/data-export')
  @RequirePermission('contacts:export')
  @ApiOperation({ summary: 'Privacy export: everything the crm holds about the person (JSON)' })
  @ApiOkResponse({ type: ContactDataExportDto })
  @ApiProblems(401, 403, 404)
  dataExport(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<CrmContactDataExport> {
    return this.rpc.call(S.dataExport, request, { id });
  }

  @Post(':id/erase')
  @RequirePermission('contacts:erase')
  @HttpCode(204)
  @ApiOperation({ summary: 'Privacy erasure (admin): personal fields erased, history kept anonymised, crm.contact.erased emitted' })
  @ApiNoContentResponse()
  @ApiProblems(401, 403, 404)
  async erase(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<void> {
    await this.rpc.call(S.erase, request, { id });
  }

  @Get(':id/assignment')
  @RequirePermission('contacts:read')
  @ApiOperation({ summary: 'Why the contact is assigned as it is: rule, reason, deadline and history' })
  @ApiOkResponse({ type: ContactAssignmentViewDto })
  @ApiProblems(401, 403, 404)
  assignment(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<CrmContactAssignmentView> {
    return this.rpc.call(S.assignmentGet, request, { id }, { retries: 1 });
  }

  @Get(':id/timeline')
  @RequirePermission('contacts:read')
  @ApiOperation({ summary: 'Activity timeline, newest first, cursor-paginated' })
  @ApiOkResponse({ type: TimelinePageDto })
  @ApiProblems(400, 401, 403, 404)
  timeline(
    @Req() request: GatewayRequest,
    @Param('id', uuidParam) id: string,
    @Query() query: TimelineQueryDto,
  ): Promise<Page<CrmTimelineEntry>> {
    return this.rpc.call(S.timeline, request, { ...query, id }, { retries: 1 });
  }

  @Get(':id/notes')
  @RequirePermission('contacts:read')
  @ApiOperation({ summary: 'Notes of a contact, pinned first' })
  @ApiOkResponse({ type: [ContactNoteViewDto] })
  @ApiProblems(401, 403, 404)
  notes(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<CrmContactNoteView[]> {
    return this.rpc.call(S.noteList, request, { contactId: id }, { retries: 1 });
  }

  @Post(':id/notes')
  @RequirePermission('contacts:write')
  @Idempotent()
  @ApiOperation({ summary: 'Add a note' })
  @ApiCreatedResponse({ type: ContactNoteViewDto })
  @ApiProblems(400, 401, 403, 404)
  noteCreate(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Body() body: CreateNoteDto): Promise<CrmContactNoteView> {
    return this.rpc.call(S.noteCreate, request, { ...body, contactId: id });
  }

  @Patch(':id/notes/:noteId')
  @RequirePermission('contacts:write')
  @ApiOperation({ summary: 'Edit or pin a note' })
  @ApiOkResponse({ type: ContactNoteViewDto })
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
  @ApiNoContentResponse()
  @ApiProblems(401, 403, 404)
  async noteDelete(
    @Req() request: GatewayRequest,
    @Param('id', uuidParam) id: string,
    @Param('noteId', uuidParam) noteId: string,
  ): Promise<void> {
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
  @ApiOkResponse({ type: [CustomFieldViewDto] })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest): Promise<CrmCustomFieldView[]> {
    return this.rpc.call(S.fieldList, request, {}, { retries: 1 });
  }

  @Post()
  @RequirePermission('contacts:write')
  @Idempotent()
  @ApiOperation({ summary: 'Define a custom contact field (admin)' })
  @ApiCreatedResponse({ type: CustomFieldViewDto })
  @ApiProblems(400, 401, 403, 409)
  create(@Req() request: GatewayRequest, @Body() body: CreateCustomFieldDto): Promise<CrmCustomFieldView> {
    return this.rpc.call(S.fieldCreate, request, body);
  }

  @Patch(':id')
  @RequirePermission('contacts:write')
  @ApiOperation({ summary: 'Change a custom field’s label, options or required flag (admin); key and type are fixed' })
  @ApiOkResponse({ type: CustomFieldViewDto })
  @ApiProblems(400, 401, 403, 404)
  update(
    @Req() request: GatewayRequest,
    @Param('id', uuidParam) id: string,
    @Body() body: UpdateCustomFieldDto,
  ): Promise<CrmCustomFieldView> {
    return this.rpc.call(S.fieldUpdate, request, { ...body, id });
  }

  @Delete(':id')
  @RequirePermission('contacts:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a custom field definition (admin); stored values stay until edited' })
  @ApiNoContentResponse()
  @ApiProblems(401, 403, 404)
  async delete(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<void> {
    await this.rpc.call(S.fieldDelete, request, { id });
  }
}
