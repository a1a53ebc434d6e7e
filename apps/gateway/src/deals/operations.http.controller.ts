import { createHash } from 'node:crypto';
import type { MultipartFile } from '@fastify/multipart';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  DEALS_FILE_CHUNK_BYTES,
  DEALS_FILE_TYPES,
  DealsFileSubjects as F,
  DealsInvoiceSubjects as I,
  DealsScheduleSubjects as D,
  TRANSACTION_KEY_DATES,
  type DealSettingsView,
  type InvoiceView,
  type Page,
  type TransactionKeyDateView,
  type TransactionFileDownloadUrl,
  type TransactionFileView,
} from '@keyhouse/contracts';
import { Public, RequirePermission } from '@keyhouse/platform/auth';
import { DomainException } from '@keyhouse/platform/messaging';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { Idempotent } from '../platform/idempotency.interceptor';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import {
  CreateInvoiceDto,
  CreatePaymentDto,
  ListInvoicesQueryDto,
  SignedFileDownloadQueryDto,
  UpdateDealSettingsDto,
  UpdateFileSharingDto,
  UpdateInvoiceDto,
  UpdateKeyDateDto,
} from './dto/operations.dto';
import {
  DealSettingsViewDto,
  InvoicePageDto,
  InvoiceViewDto,
  KeyDateListDto,
  KeyDateViewDto,
  TransactionFileDownloadUrlDto,
  TransactionFileListDto,
  TransactionFileViewDto,
} from './dto/responses.dto';
import { dealsUuid } from './transactions.http.controller';

/** `/v1/deal-settings`: the organization's contract deadline rules, holidays, time zone and reminder offsets. */
@ApiTags('transactions')
@ApiBearerAuth()
@Controller('deal-settings')
export class DealSettingsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get()
  @RequirePermission('transactions:read')
  @ApiOperation({ summary: 'Deal settings: deadline rules (days, calendar or business), holidays, time zone, reminder offsets (minutes)' })
  @ApiOkResponse({ description: 'The settings (defaults when never changed, then updatedAt is null)', type: DealSettingsViewDto })
  @ApiProblems(401, 403)
  get(@Req() request: GatewayRequest): Promise<DealSettingsView> {
    return this.rpc.call(D.settingsGet, request, {}, { retries: 1 });
  }

  @Patch()
  @RequirePermission('transactions:write')
  @ApiOperation({ summary: 'Change the deal settings (admin: transactions:write at org scope); reminders not yet sent are rescheduled' })
  @ApiOkResponse({ description: 'The settings', type: DealSettingsViewDto })
  @ApiProblems(400, 401, 403)
  update(@Req() request: GatewayRequest, @Body() body: UpdateDealSettingsDto): Promise<DealSettingsView> {
    return this.rpc.call(D.settingsUpdate, request, body);
  }
}

/** The `@ApiOkResponse` of a file download: the bytes as an attachment, with the checksum headers. */
const FILE_DOWNLOAD_RESPONSE = {
  description: 'The bytes, as an attachment, with the Content-Type the file was uploaded with (PDF, JPEG, PNG, GIF, WebP, Word)',
  content: Object.fromEntries(DEALS_FILE_TYPES.map((type) => [type, { schema: { type: 'string', format: 'binary' } }])),
  headers: {
    'Content-Disposition': { description: "`attachment; filename*=UTF-8''<name>`", schema: { type: 'string' } },
    'X-Checksum-SHA256': { description: 'SHA-256 of the bytes, lowercase hex', schema: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
    Digest: { description: '`sha-256=<base64 of the SHA-256>` (RFC 3230)', schema: { type: 'string' } },
  },
};

/**
 * Reads a stored file chunk by chunk with `readChunk(index)` and answers its bytes as an
 * attachment with its type, name and checksum headers.
 */
async function sendFile(
  reply: FastifyReply,
  file: TransactionFileView,
  readChunk: (index: number) => Promise<{ base64: string; last: boolean }>,
): Promise<void> {
  const chunks: Buffer[] = [];
  for (let index = 0; ; index += 1) {
    const chunk = await readChunk(index);
    chunks.push(Buffer.from(chunk.base64, 'base64'));
    if (chunk.last) break;
  }
  await reply
    .header('content-type', file.contentType)
    .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`)
    .header('x-checksum-sha256', file.sha256)
    .header('digest', `sha-256=${Buffer.from(file.sha256, 'hex').toString('base64')}`)
    .send(Buffer.concat(chunks));
}

function keyDateParam(value: string): string {
  if (!(TRANSACTION_KEY_DATES as readonly string[]).includes(value)) {
    throw DomainException.validation([{ field: 'key', message: `must be one of ${TRANSACTION_KEY_DATES.join(', ')}` }]);
  }
  return value;
}

/** `/v1/transactions/:id/key-dates` and `/v1/transactions/:id/files`. */
@ApiTags('transactions')
@ApiBearerAuth()
@Controller('transactions')
export class TransactionDocumentsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get(':id/key-dates')
  @RequirePermission('transactions:read')
  @ApiOperation({ summary: 'Key dates with their origin (computed from an accepted offer, or manual), done/missed marks and reminders' })
  @ApiOkResponse({ description: 'The key dates the transaction has', type: KeyDateListDto })
  @ApiProblems(400, 401, 403, 404)
  keyDates(@Req() request: GatewayRequest, @Param('id', dealsUuid('id')) id: string): Promise<{ items: TransactionKeyDateView[] }> {
    return this.rpc.call(D.keyDateList, request, { transactionId: id }, { retries: 1 });
  }

  @Patch(':id/key-dates/:key')
  @RequirePermission('transactions:write')
  @ApiOperation({ summary: 'Mark a key date done (a done date raises no reminder and no missed-deadline alert) or open again' })
  @ApiOkResponse({ description: 'The key date', type: KeyDateViewDto })
  @ApiProblems(400, 401, 403, 404)
  keyDate(
    @Req() request: GatewayRequest,
    @Param('id', dealsUuid('id')) id: string,
    @Param('key') key: string,
    @Body() body: UpdateKeyDateDto,
  ): Promise<TransactionKeyDateView> {
    return this.rpc.call(D.keyDateUpdate, request, { transactionId: id, key: keyDateParam(key), done: body.done });
  }

  @Post(':id/files')
  @RequirePermission('transactions:write')
  @ApiConsumes('multipart/form-data')
  @ApiOperation({
    summary:
      'Upload a file to the transaction (multipart, one file): PDF, JPEG, PNG, GIF, WebP, Word; at most DEALS_COMMISSION_FILE_MAX_BYTES (10 MiB). Sent to the service in 512 KiB chunks and checked by SHA-256',
  })
  @ApiCreatedResponse({ description: 'The file metadata (name, contentType, size, sha256, uploadedBy)', type: TransactionFileViewDto })
  @ApiProblems(400, 401, 403, 404, 413, 422)
  async upload(
    @Req() request: GatewayRequest,
    @Param('id', dealsUuid('id')) id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TransactionFileView> {
    const multipart = request as unknown as { isMultipart(): boolean; file(): Promise<MultipartFile | undefined> };
    if (!multipart.isMultipart?.())
      throw DomainException.validation([{ field: 'file', message: 'send multipart/form-data with one file' }]);
    const part = await multipart.file();
    if (!part) throw DomainException.validation([{ field: 'file', message: 'is required' }]);
    const bytes = await part.toBuffer();
    if (!bytes.length) throw DomainException.validation([{ field: 'file', message: 'must not be empty' }]);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const begun = await this.rpc.call(F.begin, request, {
      transactionId: id,
      name: part.filename,
      contentType: part.mimetype,
      size: bytes.length,
      sha256,
    });
    for (let index = 0; index * DEALS_FILE_CHUNK_BYTES < bytes.length; index += 1) {
      const chunk = bytes.subarray(index * DEALS_FILE_CHUNK_BYTES, (index + 1) * DEALS_FILE_CHUNK_BYTES);
      await this.rpc.call(
        F.chunk,
        request,
        { transactionId: id, fileId: begun.fileId, index, base64: chunk.toString('base64') },
        { retries: 1 },
      );
    }
    // With the s3 storage, completing assembles the chunks in the bucket: more than the default timeout.
    const file = await this.rpc.call(F.complete, request, { transactionId: id, fileId: begun.fileId }, { timeoutMs: 30_000 });
    void reply.status(201);
    return file;
  }

  @Get(':id/files')
  @RequirePermission('transactions:read')
  @ApiOperation({ summary: 'Files of the transaction, oldest first' })
  @ApiOkResponse({ description: 'The stored files (at most 500), oldest first', type: TransactionFileListDto })
  @ApiProblems(400, 401, 403, 404)
  files(@Req() request: GatewayRequest, @Param('id', dealsUuid('id')) id: string): Promise<{ items: TransactionFileView[] }> {
    return this.rpc.call(F.list, request, { transactionId: id }, { retries: 1 });
  }

  @Get(':id/files/:fileId')
  @RequirePermission('transactions:read')
  @ApiOperation({
    summary: 'Download a file (only for who can read the transaction); `Digest: sha-256=…` and `X-Checksum-SHA256` carry the checksum',
  })
  @ApiOkResponse(FILE_DOWNLOAD_RESPONSE)
  @ApiProblems(400, 401, 403, 404)
  async download(
    @Req() request: GatewayRequest,
    @Param('id', dealsUuid('id')) id: string,
    @Param('fileId', dealsUuid('fileId')) fileId: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const file = await this.rpc.call(F.get, request, { transactionId: id, fileId }, { retries: 1 });
    await sendFile(reply, file, (index) => this.rpc.call(F.read, request, { transactionId: id, fileId, index }, { retries: 1 }));
  }

  @Get(':id/files/:fileId/download-url')
  @RequirePermission('transactions:read')
  @ApiOperation({
    summary:
      'A signed URL that downloads the file without a token, valid DEALS_COMMISSION_DOWNLOAD_URL_TTL_SECONDS (300 s); same checks as the download. With the S3 storage the store’s pre-signed URL; with the local disk a signed URL of this gateway (GET /v1/transactions/:id/files/:fileId/signed)',
  })
  @ApiOkResponse({ description: 'The URL and when it expires', type: TransactionFileDownloadUrlDto })
  @ApiProblems(400, 401, 403, 404)
  async downloadUrl(
    @Req() request: GatewayRequest,
    @Param('id', dealsUuid('id')) id: string,
    @Param('fileId', dealsUuid('fileId')) fileId: string,
  ): Promise<TransactionFileDownloadUrl> {
    const signed = await this.rpc.call(F.downloadUrl, request, { transactionId: id, fileId }, { retries: 1 });
    // The local disk's URL is a path of this gateway: answered absolute, as the store's is.
    return signed.url.startsWith('/') ? { ...signed, url: `${request.protocol}://${request.host}${signed.url}` } : signed;
  }

  @Put(':id/files/:fileId/sharing')
  @RequirePermission('transactions:write')
  @ApiOperation({
    summary:
      'Share a file with the deal’s clients (its buyers and sellers see it in the client portal, GET /v1/portal/transactions/:id/documents) or stop sharing it; a timeline entry and deals.file.shared / unshared on a change',
  })
  @ApiOkResponse({ description: 'The file, with sharedWithClients and sharedAt', type: TransactionFileViewDto })
  @ApiProblems(400, 401, 403, 404)
  sharing(
    @Req() request: GatewayRequest,
    @Param('id', dealsUuid('id')) id: string,
    @Param('fileId', dealsUuid('fileId')) fileId: string,
    @Body() body: UpdateFileSharingDto,
  ): Promise<TransactionFileView> {
    return this.rpc.call(F.share, request, { transactionId: id, fileId, shared: body.shared });
  }

  @Delete(':id/files/:fileId')
  @RequirePermission('transactions:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a file of the transaction' })
  @ApiNoContentResponse()
  @ApiProblems(400, 401, 403, 404)
  async removeFile(
    @Req() request: GatewayRequest,
    @Param('id', dealsUuid('id')) id: string,
    @Param('fileId', dealsUuid('fileId')) fileId: string,
  ): Promise<void> {
    await this.rpc.call(F.delete, request, { transactionId: id, fileId });
  }
}

/**
 * `GET /v1/transactions/:id/files/:fileId/signed`: the download behind a signed URL of
 * `download-url` with the local-disk storage. Public: whoever holds the URL may download that one
 * file until it expires, as with the S3 store's pre-signed URLs (docs/adr/0018); the deals service
 * checks the signature. Rate-limited per client address like every anonymous call.
 */
@ApiTags('transactions')
@Controller('transactions')
export class SignedFileDownloadsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get(':id/files/:fileId/signed')
  @Public()
  @ApiOperation({
    summary:
      'Download a file with a signed URL answered by GET /v1/transactions/:id/files/:fileId/download-url (local-disk storage); no token. 403 FILE_DOWNLOAD_URL_INVALID / FILE_DOWNLOAD_URL_EXPIRED; 404 FILE_NOT_FOUND once the file is deleted',
  })
  @ApiOkResponse(FILE_DOWNLOAD_RESPONSE)
  @ApiProblems(400, 403, 404)
  async download(
    @Req() request: GatewayRequest,
    @Param('id', dealsUuid('id')) id: string,
    @Param('fileId', dealsUuid('fileId')) fileId: string,
    @Query() query: SignedFileDownloadQueryDto,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const ref = { transactionId: id, fileId, expires: query.expires, signature: query.signature };
    const file = await this.rpc.call(F.signedGet, request, ref, { retries: 1 });
    await sendFile(reply, file, (index) => this.rpc.call(F.signedRead, request, { ...ref, index }, { retries: 1 }));
  }
}

/** `/v1/invoices`: invoices for commissions and fees, with line items and payments (cents). */
@ApiTags('invoices')
@ApiBearerAuth()
@Controller('invoices')
export class InvoicesHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @RequirePermission('invoices:write')
  @Idempotent()
  @ApiOperation({ summary: 'Create a draft invoice (line items: quantity × unitAmount cents; total computed)' })
  @ApiCreatedResponse({ description: 'The invoice (status draft, number INV-000001, ...)', type: InvoiceViewDto })
  @ApiProblems(400, 401, 403, 404, 409, 422)
  create(@Req() request: GatewayRequest, @Body() body: CreateInvoiceDto): Promise<InvoiceView> {
    return this.rpc.call(I.create, request, body);
  }

  @Get()
  @RequirePermission('invoices:read')
  @ApiOperation({ summary: 'Invoices, newest first (filters: status, transaction, agent)' })
  @ApiOkResponse({ description: 'A page of invoices', type: InvoicePageDto })
  @ApiProblems(400, 401, 403)
  list(@Req() request: GatewayRequest, @Query() query: ListInvoicesQueryDto): Promise<Page<InvoiceView>> {
    return this.rpc.call(I.list, request, query, { retries: 1 });
  }

  @Get(':id')
  @RequirePermission('invoices:read')
  @ApiOperation({ summary: 'An invoice with its lines, payments, total, paid and balance (cents)' })
  @ApiOkResponse({ description: 'The invoice', type: InvoiceViewDto })
  @ApiProblems(400, 401, 403, 404)
  get(@Req() request: GatewayRequest, @Param('id', dealsUuid('id')) id: string): Promise<InvoiceView> {
    return this.rpc.call(I.get, request, { id }, { retries: 1 });
  }

  @Patch(':id')
  @RequirePermission('invoices:write')
  @ApiOperation({ summary: 'Change a draft invoice (409 INVOICE_NOT_DRAFT once sent)' })
  @ApiOkResponse({ description: 'The invoice', type: InvoiceViewDto })
  @ApiProblems(400, 401, 403, 404, 409)
  update(@Req() request: GatewayRequest, @Param('id', dealsUuid('id')) id: string, @Body() body: UpdateInvoiceDto): Promise<InvoiceView> {
    return this.rpc.call(I.update, request, { ...body, id });
  }

  @Post(':id/send')
  @HttpCode(200)
  @RequirePermission('invoices:write')
  @ApiOperation({ summary: 'Send a draft invoice (draft → sent)' })
  @ApiOkResponse({ description: 'The invoice', type: InvoiceViewDto })
  @ApiProblems(400, 401, 403, 404, 409, 422)
  send(@Req() request: GatewayRequest, @Param('id', dealsUuid('id')) id: string): Promise<InvoiceView> {
    return this.rpc.call(I.send, request, { id });
  }

  @Post(':id/void')
  @HttpCode(200)
  @RequirePermission('invoices:write')
  @ApiOperation({ summary: 'Void an invoice without payments (draft, sent or overdue)' })
  @ApiOkResponse({ description: 'The invoice', type: InvoiceViewDto })
  @ApiProblems(400, 401, 403, 404, 409)
  void(@Req() request: GatewayRequest, @Param('id', dealsUuid('id')) id: string): Promise<InvoiceView> {
    return this.rpc.call(I.void, request, { id });
  }

  @Post(':id/payments')
  @RequirePermission('invoices:write')
  @Idempotent()
  @ApiOperation({ summary: 'Record a payment (cents, at most the balance) on a sent or overdue invoice; paid in full → status paid' })
  @ApiCreatedResponse({ description: 'The invoice with the payment', type: InvoiceViewDto })
  @ApiProblems(400, 401, 403, 404, 409, 422)
  pay(@Req() request: GatewayRequest, @Param('id', dealsUuid('id')) id: string, @Body() body: CreatePaymentDto): Promise<InvoiceView> {
    return this.rpc.call(I.paymentCreate, request, { ...body, invoiceId: id });
  }
}
