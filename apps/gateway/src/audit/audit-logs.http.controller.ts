import { Body, Controller, Get, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { stringify } from 'csv-stringify';
import type { FastifyReply } from 'fastify';
import {
  AuditSubjects as S,
  type AuditArchiveView,
  type AuditCheckpointPage,
  type AuditEntryView,
  type AuditSettingsView,
  type AuditVerifyResponse,
  type Page,
} from '@keyhouse/contracts';
import { RequirePermission } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import { PageQueryDto } from '../users/dto/users.dto';
import {
  AuditArchivePageDto,
  AuditCheckpointPageDto,
  AuditEntryPageDto,
  AuditLogQueryDto,
  AuditSettingsDto,
  AuditSettingsViewDto,
  AuditVerifyQueryDto,
  AuditVerifyViewDto,
} from './dto/audit-logs.dto';

/** Rows per export page asked of the audit service (its maximum). */
const EXPORT_PAGE = 500;
/** Verification reads the whole chain: allow it up to two minutes (1M entries take ~20 s, docs/performance/audit.md). */
const VERIFY_TIMEOUT_MS = 120_000;

/** CSV columns of the export, in order. */
export const AUDIT_CSV_COLUMNS = [
  'seq',
  'id',
  'occurredAt',
  'recordedAt',
  'action',
  'actorType',
  'actorId',
  'actorRole',
  'targetModel',
  'targetId',
  'source',
  'requestId',
  'ip',
  'userAgent',
  'changes',
  'details',
  'eventId',
  'prevHash',
  'hash',
];

/** `/v1/audit-logs`: the organization's audit trail (owners and admins; managers for their team if the organization allows). */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit-logs')
export class AuditLogsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get()
  @RequirePermission('audit:read')
  @ApiOperation({ summary: 'Audit entries, newest first (filters: user, action, model, recordId, from, to, date)' })
  @ApiOkResponse({ type: AuditEntryPageDto })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest, @Query() query: AuditLogQueryDto): Promise<Page<AuditEntryView>> {
    return this.rpc.call(S.list, request, query, { retries: 1 });
  }

  @Get('export')
  @RequirePermission('audit:read')
  @ApiOperation({ summary: 'The filtered audit entries as CSV (RFC 4180), newest first; the export itself is recorded' })
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'text/csv with a header row' })
  @ApiProblems(401, 403)
  async export(@Req() request: GatewayRequest, @Query() query: AuditLogQueryDto, @Res() reply: FastifyReply): Promise<void> {
    const { limit: _limit, cursor: _cursor, ...filters } = query;
    // The first page is fetched before any byte is sent, so refusals still answer as problem details.
    let page = await this.rpc.call(S.exportPage, request, { ...filters, limit: EXPORT_PAGE });
    const csv = stringify({ header: true, columns: AUDIT_CSV_COLUMNS });
    void reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="audit-log-${new Date().toISOString().slice(0, 10)}.csv"`)
      .send(csv);
    try {
      for (;;) {
        for (const entry of page.items) {
          if (!csv.write(toCsvRow(entry))) await new Promise((resolve) => csv.once('drain', resolve));
        }
        if (!page.nextCursor) break;
        page = await this.rpc.call(S.exportPage, request, { ...filters, limit: EXPORT_PAGE, cursor: page.nextCursor });
      }
      csv.end();
    } catch (error) {
      // Headers are gone: cut the stream so the client sees an incomplete transfer, not a short file.
      csv.destroy(error as Error);
    }
  }

  @Get('verify')
  @RequirePermission('audit:read')
  @ApiOperation({
    summary: 'Recompute the hash chain (and compare with the checkpoints): ok with count and head hash, or the first broken entry',
  })
  @ApiOkResponse({ type: AuditVerifyViewDto })
  @ApiProblems(401, 403)
  verify(@Req() request: GatewayRequest, @Query() query: AuditVerifyQueryDto): Promise<AuditVerifyResponse> {
    return this.rpc.call(S.verify, request, query, { timeoutMs: VERIFY_TIMEOUT_MS });
  }

  @Get('checkpoints')
  @RequirePermission('audit:read')
  @ApiOperation({
    summary: 'Signed chain checkpoints (owner/admin: org scope), newest first, with the Ed25519 public keys that verify them',
  })
  @ApiOkResponse({ type: AuditCheckpointPageDto })
  @ApiProblems(401, 403)
  checkpoints(@Req() request: GatewayRequest, @Query() query: PageQueryDto): Promise<AuditCheckpointPage> {
    return this.rpc.call(S.checkpointsList, request, query, { retries: 1 });
  }

  @Get('archives')
  @RequirePermission('audit:read')
  @ApiOperation({
    summary: 'Retention archives written so far (owner/admin: org scope), newest first: seq range, checkpoint hashes, file and its SHA-256',
  })
  @ApiOkResponse({ type: AuditArchivePageDto })
  @ApiProblems(401, 403)
  archives(@Req() request: GatewayRequest, @Query() query: PageQueryDto): Promise<Page<AuditArchiveView>> {
    return this.rpc.call(S.archivesList, request, query, { retries: 1 });
  }

  @Get('settings')
  @RequirePermission('audit:read')
  @ApiOperation({ summary: 'The organization’s audit settings (manager access, retention)' })
  @ApiOkResponse({ type: AuditSettingsViewDto })
  @ApiProblems(401, 403)
  settings(@Req() request: GatewayRequest): Promise<AuditSettingsView> {
    return this.rpc.call(S.settingsGet, request, {}, { retries: 1 });
  }

  @Put('settings')
  @RequirePermission('organizations:write')
  @ApiOperation({ summary: 'Change the organization’s audit settings (owner/admin); the change is recorded in the trail' })
  @ApiOkResponse({ type: AuditSettingsViewDto })
  @ApiProblems(401, 403)
  updateSettings(@Req() request: GatewayRequest, @Body() body: AuditSettingsDto): Promise<AuditSettingsView> {
    return this.rpc.call(S.settingsUpdate, request, body);
  }
}

/** Spreadsheet formula injection (OWASP "CSV Injection"): a cell starting with = + - @ TAB CR is prefixed with `'`. */
function cell(value: unknown): unknown {
  return typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function toCsvRow(entry: AuditEntryView): unknown[] {
  return [
    entry.seq,
    entry.id,
    entry.occurredAt,
    entry.recordedAt,
    entry.action,
    entry.actor.type,
    entry.actor.id,
    entry.actor.role,
    entry.target.model,
    entry.target.id,
    entry.source,
    entry.requestId,
    entry.ip,
    entry.userAgent,
    entry.changes ? JSON.stringify(entry.changes) : '',
    entry.details ? JSON.stringify(entry.details) : '',
    entry.eventId,
    entry.prevHash,
    entry.hash,
  ].map(cell);
}

/**
 * The seeds' names for the audit list (issue 6): `GET /v1/audit-log` and `GET /v1/logs?user=&date=`
 * answer exactly what `GET /v1/audit-logs` answers, with the same filters and permission.
 */
@ApiTags('audit')
@ApiBearerAuth()
@Controller()
export class AuditLogAliasesHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get('audit-log')
  @RequirePermission('audit:read')
  @ApiOperation({ summary: 'Alias of GET /v1/audit-logs' })
  @ApiOkResponse({ type: AuditEntryPageDto })
  @ApiProblems(401, 403)
  auditLog(@Req() request: GatewayRequest, @Query() query: AuditLogQueryDto): Promise<Page<AuditEntryView>> {
    return this.rpc.call(S.list, request, query, { retries: 1 });
  }

  @Get('logs')
  @RequirePermission('audit:read')
  @ApiOperation({ summary: 'Alias of GET /v1/audit-logs (e.g. ?user=<id>&date=YYYY-MM-DD)' })
  @ApiOkResponse({ type: AuditEntryPageDto })
  @ApiProblems(401, 403)
  logs(@Req() request: GatewayRequest, @Query() query: AuditLogQueryDto): Promise<Page<AuditEntryView>> {
    return this.rpc.call(S.list, request, query, { retries: 1 });
  }
}
