import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import {
  PAYMENT_METHODS,
  PORTAL_INVOICE_STATUSES,
  TRANSACTION_KEY_DATES,
  TRANSACTION_PARTICIPANT_ROLES,
  TRANSACTION_SIDES,
  type PortalAgentView,
  type PortalDocumentView,
  type PortalInvoicePaymentView,
  type PortalInvoiceStatus,
  type PortalInvoiceView,
  type PortalKeyDateView,
  type PortalParticipantView,
  type PortalTransactionView,
} from '@keyhouse/contracts';
import { PageQueryDto } from '../../users/dto/users.dto';
import { InvoiceBillToDto } from './operations.dto';
import { InvoiceLineItemViewDto } from './responses.dto';

/**
 * Requests and responses of the client portal (`/v1/portal`, docs/adr/0033): what a client user
 * sees of their own transactions, the documents shared with them and their invoices. Views of
 * their own (the `SameKeys` checks at the end keep each class in step with its contract view in
 * `@keyhouse/contracts`): no commission, plan, team split, probability, notes or timeline. Money in
 * integer cents (USD), dates `YYYY-MM-DD`, timestamps RFC 3339 in UTC.
 */
const CENTS = 'Integer cents (USD)';
const TIMESTAMP = 'RFC 3339 timestamp, UTC';
const DATE = 'Date, YYYY-MM-DD';
const CURSOR = { type: String, nullable: true, description: 'Cursor of the next page; null on the last page' } as const;
const DEAL_STATUSES = ['open', 'won', 'lost'] as const;

export class PortalTransactionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DEAL_STATUSES, description: 'Open, won (closed) or lost deals only' })
  @IsOptional()
  @IsIn(DEAL_STATUSES)
  status?: (typeof DEAL_STATUSES)[number];
}

export class PortalInvoicesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: PORTAL_INVOICE_STATUSES, description: 'Drafts are never shown' })
  @IsOptional()
  @IsIn(PORTAL_INVOICE_STATUSES)
  status?: PortalInvoiceStatus;
}

export class PortalStageDto {
  @ApiProperty({ type: String, description: 'Stage key in the pipeline' }) key: string;
  @ApiProperty({ type: String, description: 'Stage name shown to people' }) name: string;
}

export class PortalPropertyDto {
  @ApiProperty({ type: String, format: 'uuid', description: 'Listing (property) id' }) id: string;
  @ApiProperty({ type: String, nullable: true, description: 'One line; null when the listing could not be read' }) address: string | null;
}

export class PortalKeyDateDto {
  @ApiProperty({ enum: TRANSACTION_KEY_DATES }) key: PortalKeyDateView['key'];
  @ApiProperty({ type: String, format: 'date', description: DATE }) dueOn: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: `When it was marked done; ${TIMESTAMP}` }) doneAt:
    string | null;
}

export class PortalParticipantDto {
  @ApiProperty({ enum: TRANSACTION_PARTICIPANT_ROLES }) role: PortalParticipantView['role'];
  @ApiProperty({ type: String, nullable: true }) name: string | null;
  @ApiProperty({ type: String, nullable: true }) email: string | null;
  @ApiProperty({ type: String, nullable: true }) phone: string | null;
  @ApiProperty({ type: String, nullable: true }) company: string | null;
}

export class PortalAgentDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, nullable: true, description: 'Null when the directory did not answer' }) name: string | null;
  @ApiProperty({ type: String, nullable: true }) email: string | null;
}

export class PortalTransactionDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ enum: TRANSACTION_SIDES }) side: PortalTransactionView['side'];
  @ApiProperty({ enum: DEAL_STATUSES }) status: PortalTransactionView['status'];
  @ApiProperty({ type: PortalStageDto }) stage: PortalStageDto;
  @ApiProperty({ type: 'integer', description: `List or offer price; ${CENTS}` }) price: number;
  @ApiProperty({ type: PortalPropertyDto, nullable: true }) property: PortalPropertyDto | null;
  @ApiProperty({ type: String, format: 'date', nullable: true, description: DATE }) expectedCloseDate: string | null;
  @ApiProperty({ type: String, format: 'date', nullable: true, description: DATE }) closeDate: string | null;
  @ApiProperty({ type: [PortalKeyDateDto], description: 'Earliest first' }) keyDates: PortalKeyDateDto[];
  @ApiProperty({ type: [PortalParticipantDto] }) participants: PortalParticipantDto[];
  @ApiProperty({ type: [PortalAgentDto], description: 'The brokerage’s agents on the deal' }) agents: PortalAgentDto[];
}

export class PortalTransactionPageDto {
  @ApiProperty({ type: [PortalTransactionDto] }) items: PortalTransactionDto[];
  @ApiProperty(CURSOR) nextCursor: string | null;
}

export class PortalDocumentDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, format: 'uuid' }) transactionId: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ type: String, example: 'application/pdf' }) contentType: string;
  @ApiProperty({ type: 'integer', description: 'Bytes' }) sizeBytes: number;
  @ApiProperty({ type: String, format: 'date-time', description: `When it was shared; ${TIMESTAMP}` }) sharedAt: string;
}

export class PortalDocumentListDto {
  @ApiProperty({ type: [PortalDocumentDto] }) items: PortalDocumentDto[];
}

export class PortalInvoicePaymentDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: 'integer', description: CENTS }) amount: number;
  @ApiProperty({ type: String, format: 'date', description: DATE }) paidOn: string;
  @ApiProperty({ enum: PAYMENT_METHODS }) method: PortalInvoicePaymentView['method'];
  @ApiProperty({ type: String, nullable: true, description: 'Check number, wire reference, ...' }) reference: string | null;
}

export class PortalInvoiceDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, example: 'INV-000042' }) number: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) transactionId: string | null;
  @ApiProperty({ type: InvoiceBillToDto }) billTo: InvoiceBillToDto;
  @ApiProperty({ enum: PORTAL_INVOICE_STATUSES }) status: PortalInvoiceStatus;
  @ApiProperty({ type: String, format: 'date', description: DATE }) issueDate: string;
  @ApiProperty({ type: String, format: 'date', description: DATE }) dueDate: string;
  @ApiProperty({ type: [InvoiceLineItemViewDto] }) lineItems: InvoiceLineItemViewDto[];
  @ApiProperty({ type: 'integer', description: `Σ quantity × unitAmount; ${CENTS}` }) total: number;
  @ApiProperty({ type: 'integer', description: CENTS }) paid: number;
  @ApiProperty({ type: 'integer', description: `total − paid; ${CENTS}` }) balance: number;
  @ApiProperty({ type: [PortalInvoicePaymentDto] }) payments: PortalInvoicePaymentDto[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: TIMESTAMP }) sentAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: TIMESTAMP }) paidAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: TIMESTAMP }) overdueAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: TIMESTAMP }) voidedAt: string | null;
}

export class PortalInvoicePageDto {
  @ApiProperty({ type: [PortalInvoiceDto] }) items: PortalInvoiceDto[];
  @ApiProperty(CURSOR) nextCursor: string | null;
}

// Compile-time: each response class has exactly the keys of its contract view (a field added to a
// view without its documentation fails the gateway's type check).
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : never;
export const PORTAL_SHAPES_MATCH_CONTRACTS: ReadonlyArray<true> = [
  true satisfies SameKeys<PortalTransactionDto, PortalTransactionView>,
  true satisfies SameKeys<PortalKeyDateDto, PortalKeyDateView>,
  true satisfies SameKeys<PortalParticipantDto, PortalParticipantView>,
  true satisfies SameKeys<PortalAgentDto, PortalAgentView>,
  true satisfies SameKeys<PortalDocumentDto, PortalDocumentView>,
  true satisfies SameKeys<PortalInvoiceDto, PortalInvoiceView>,
  true satisfies SameKeys<PortalInvoicePaymentDto, PortalInvoicePaymentView>,
];
