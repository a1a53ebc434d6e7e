import { Controller } from '@nestjs/common';
import {
  DealsFileSubjects as F,
  DealsInvoiceSubjects as I,
  DealsScheduleSubjects as D,
  type DealSettingsUpdateRequest,
  type InvoiceCreateRequest,
  type InvoiceListRequest,
  type InvoicePaymentCreateRequest,
  type InvoiceUpdateRequest,
  type RequestEnvelope,
  type TransactionFileBeginRequest,
  type TransactionFileChunkRequest,
  type TransactionFileReadRequest,
  type TransactionFileRef,
  type TransactionKeyDateUpdateRequest,
} from '@keyhouse/contracts';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { FilesService } from './files/files.service';
import { InvoicesService } from './invoices/invoices.service';
import { DealSettingsService } from './schedule/deal-settings.service';
import { KeyDatesService } from './schedule/key-dates.service';

/** NATS responders for deal settings, key dates, invoices and transaction files. */
@Controller()
export class DealsOperationsRpcController {
  constructor(
    private readonly settings: DealSettingsService,
    private readonly keyDates: KeyDatesService,
    private readonly invoices: InvoicesService,
    private readonly files: FilesService,
  ) {}

  @RpcHandler(D.settingsGet)
  settingsGet(envelope: RequestEnvelope) {
    return this.settings.get(envelope);
  }

  @RpcHandler(D.settingsUpdate)
  settingsUpdate(envelope: RequestEnvelope<DealSettingsUpdateRequest>) {
    return this.settings.update(envelope, (manager, orgId, settings) => this.keyDates.rescheduleOrganization(manager, orgId, settings));
  }

  @RpcHandler(D.keyDateList)
  keyDateList(envelope: RequestEnvelope<{ transactionId: string }>) {
    return this.keyDates.list(envelope);
  }

  @RpcHandler(D.keyDateUpdate)
  keyDateUpdate(envelope: RequestEnvelope<TransactionKeyDateUpdateRequest>) {
    return this.keyDates.update(envelope);
  }

  @RpcHandler(I.create)
  invoiceCreate(envelope: RequestEnvelope<InvoiceCreateRequest>) {
    return this.invoices.create(envelope);
  }

  @RpcHandler(I.list)
  invoiceList(envelope: RequestEnvelope<InvoiceListRequest>) {
    return this.invoices.list(envelope);
  }

  @RpcHandler(I.get)
  invoiceGet(envelope: RequestEnvelope<{ id: string }>) {
    return this.invoices.get(envelope);
  }

  @RpcHandler(I.update)
  invoiceUpdate(envelope: RequestEnvelope<InvoiceUpdateRequest>) {
    return this.invoices.update(envelope);
  }

  @RpcHandler(I.send)
  invoiceSend(envelope: RequestEnvelope<{ id: string }>) {
    return this.invoices.send(envelope);
  }

  @RpcHandler(I.void)
  invoiceVoid(envelope: RequestEnvelope<{ id: string }>) {
    return this.invoices.void(envelope);
  }

  @RpcHandler(I.paymentCreate)
  paymentCreate(envelope: RequestEnvelope<InvoicePaymentCreateRequest>) {
    return this.invoices.recordPayment(envelope);
  }

  @RpcHandler(F.begin)
  fileBegin(envelope: RequestEnvelope<TransactionFileBeginRequest>) {
    return this.files.begin(envelope);
  }

  @RpcHandler(F.chunk)
  fileChunk(envelope: RequestEnvelope<TransactionFileChunkRequest>) {
    return this.files.chunk(envelope);
  }

  @RpcHandler(F.complete)
  fileComplete(envelope: RequestEnvelope<TransactionFileRef>) {
    return this.files.complete(envelope);
  }

  @RpcHandler(F.list)
  fileList(envelope: RequestEnvelope<{ transactionId: string }>) {
    return this.files.list(envelope);
  }

  @RpcHandler(F.downloadUrl)
  fileDownloadUrl(envelope: RequestEnvelope<TransactionFileRef>) {
    return this.files.downloadUrl(envelope);
  }

  @RpcHandler(F.get)
  fileGet(envelope: RequestEnvelope<TransactionFileRef>) {
    return this.files.get(envelope);
  }

  @RpcHandler(F.read)
  fileRead(envelope: RequestEnvelope<TransactionFileReadRequest>) {
    return this.files.read(envelope);
  }

  @RpcHandler(F.delete)
  async fileDelete(envelope: RequestEnvelope<TransactionFileRef>) {
    await this.files.delete(envelope);
    return {};
  }
}
