import type { Type } from '@nestjs/common';
import {
  AgentCommissionPlanHttpController,
  CommissionPlansHttpController,
  CommissionReportsHttpController,
} from './commission.http.controller';
import {
  DealSettingsHttpController,
  InvoicesHttpController,
  SignedFileDownloadsHttpController,
  TransactionDocumentsHttpController,
} from './operations.http.controller';
import { PortalHttpController } from './portal.http.controller';
import {
  AgentTransactionsHttpController,
  OffersHttpController,
  PipelinesHttpController,
  TransactionsHttpController,
} from './transactions.http.controller';

/** HTTP controllers of the deals routes (transactions, offers, commission plans, commission reports, invoices, the client portal); listed in `API_CONTROLLERS`. */
export const DEALS_HTTP_CONTROLLERS: Type[] = [
  TransactionsHttpController,
  PipelinesHttpController,
  AgentTransactionsHttpController,
  OffersHttpController,
  CommissionPlansHttpController,
  AgentCommissionPlanHttpController,
  CommissionReportsHttpController,
  DealSettingsHttpController,
  TransactionDocumentsHttpController,
  SignedFileDownloadsHttpController,
  InvoicesHttpController,
  PortalHttpController,
];
