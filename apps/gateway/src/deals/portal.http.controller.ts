import { Controller, Get, Param, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  DealsPortalSubjects as P,
  type Page,
  type PortalDocumentView,
  type PortalInvoiceView,
  type PortalTransactionView,
  type TransactionFileDownloadUrl,
} from '@keyhouse/contracts';
import { RequirePermission } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import {
  PortalDocumentListDto,
  PortalInvoiceDto,
  PortalInvoicePageDto,
  PortalInvoicesQueryDto,
  PortalTransactionDto,
  PortalTransactionPageDto,
  PortalTransactionsQueryDto,
} from './dto/portal.dto';
import { TransactionFileDownloadUrlDto } from './dto/responses.dto';
import { dealsUuid } from './transactions.http.controller';

/**
 * `/v1/portal`: the client portal (issue 13 item 17, docs/adr/0033). A client user (`portal:read`,
 * which only the `client` role holds) sees the transactions their crm contact is a buyer or seller
 * on, the documents shared with them there, and the invoices billed to them — through views of
 * their own, never the staff views. The deals service scopes every answer to the caller's
 * organization and contact: before the contact is linked (email verified) lists are empty and ids
 * answer 404, as for another client's records.
 */
@ApiTags('portal')
@ApiBearerAuth()
@Controller('portal')
export class PortalHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get('transactions')
  @RequirePermission('portal:read')
  @ApiOperation({ summary: 'My transactions, newest first (filter: status): stage, price, key dates, participants, agents' })
  @ApiOkResponse({ description: 'A page of transactions', type: PortalTransactionPageDto })
  @ApiProblems(400, 401, 403)
  transactions(@Req() request: GatewayRequest, @Query() query: PortalTransactionsQueryDto): Promise<Page<PortalTransactionView>> {
    return this.rpc.call(P.transactionList, request, query, { retries: 1 });
  }

  @Get('transactions/:id')
  @RequirePermission('portal:read')
  @ApiOperation({ summary: 'One of my transactions (404 TRANSACTION_NOT_FOUND for any other)' })
  @ApiOkResponse({ description: 'The transaction', type: PortalTransactionDto })
  @ApiProblems(400, 401, 403, 404)
  transaction(@Req() request: GatewayRequest, @Param('id', dealsUuid('id')) id: string): Promise<PortalTransactionView> {
    return this.rpc.call(P.transactionGet, request, { id }, { retries: 1 });
  }

  @Get('transactions/:id/documents')
  @RequirePermission('portal:read')
  @ApiOperation({ summary: 'The documents of one of my transactions that the brokerage shared with me' })
  @ApiOkResponse({ description: 'The shared documents (at most 500), oldest share first', type: PortalDocumentListDto })
  @ApiProblems(400, 401, 403, 404)
  documents(@Req() request: GatewayRequest, @Param('id', dealsUuid('id')) id: string): Promise<{ items: PortalDocumentView[] }> {
    return this.rpc.call(P.documentList, request, { transactionId: id }, { retries: 1 });
  }

  @Get('transactions/:id/documents/:fileId/download-url')
  @RequirePermission('portal:read')
  @ApiOperation({
    summary:
      'A signed URL that downloads a shared document without a token, valid DEALS_COMMISSION_DOWNLOAD_URL_TTL_SECONDS (300 s), as for staff; 404 FILE_NOT_FOUND for a document not shared with me',
  })
  @ApiOkResponse({ description: 'The URL and when it expires', type: TransactionFileDownloadUrlDto })
  @ApiProblems(400, 401, 403, 404)
  async documentDownloadUrl(
    @Req() request: GatewayRequest,
    @Param('id', dealsUuid('id')) id: string,
    @Param('fileId', dealsUuid('fileId')) fileId: string,
  ): Promise<TransactionFileDownloadUrl> {
    const signed = await this.rpc.call(P.documentDownloadUrl, request, { transactionId: id, fileId });
    // The local disk's URL is a path of this gateway: answered absolute, as the store's is.
    return signed.url.startsWith('/') ? { ...signed, url: `${request.protocol}://${request.host}${signed.url}` } : signed;
  }

  @Get('invoices')
  @RequirePermission('portal:read')
  @ApiOperation({ summary: 'Invoices billed to me (sent, paid, overdue, void; never drafts), newest first' })
  @ApiOkResponse({ description: 'A page of invoices', type: PortalInvoicePageDto })
  @ApiProblems(400, 401, 403)
  invoices(@Req() request: GatewayRequest, @Query() query: PortalInvoicesQueryDto): Promise<Page<PortalInvoiceView>> {
    return this.rpc.call(P.invoiceList, request, query, { retries: 1 });
  }

  @Get('invoices/:id')
  @RequirePermission('portal:read')
  @ApiOperation({ summary: 'An invoice billed to me, with its lines and payments (404 INVOICE_NOT_FOUND for any other, and for drafts)' })
  @ApiOkResponse({ description: 'The invoice', type: PortalInvoiceDto })
  @ApiProblems(400, 401, 403, 404)
  invoice(@Req() request: GatewayRequest, @Param('id', dealsUuid('id')) id: string): Promise<PortalInvoiceView> {
    return this.rpc.call(P.invoiceGet, request, { id }, { retries: 1 });
  }
}
