import { ApiProperty } from '@nestjs/swagger';
import {
  INVOICE_STATUSES,
  OFFER_FINANCING_TYPES,
  OFFER_STATUSES,
  PAYMENT_METHODS,
  TRANSACTION_KEY_DATES,
  TRANSACTION_SIDES,
  type AgentCommissionPlanView,
  type CommissionPlanView,
  type CommissionReportView,
  type CommissionStatementView,
  type CommissionWhatIfView,
  type DealSettingsView,
  type InvoicePaymentView,
  type InvoiceView,
  type TransactionFileDownloadUrl,
  type TransactionFileView,
  type TransactionKeyDateView,
  type TransactionOfferView,
  type TransactionPipelineView,
  type TransactionTimelineEntry,
  type TransactionView,
} from '@keyhouse/contracts';
import { CommissionTierDto, PipelineStageDto, TeamShareDto, TransactionKeyDatesDto, TransactionParticipantDto } from './deals.dto';
import { DeadlineRulesDto, InvoiceBillToDto } from './operations.dto';

/**
 * Response shapes of the deals routes, for the OpenAPI document only (the deals-commission service
 * builds the bodies; the `satisfies`-style checks at the end keep each class in step with its
 * contract view in `@keyhouse/contracts`). Money in integer cents (USD), rates in basis points,
 * dates `YYYY-MM-DD`, timestamps RFC 3339 in UTC.
 */
const CENTS = 'Integer cents (USD)';
const TIMESTAMP = 'RFC 3339 timestamp, UTC';
const DATE = 'Date, YYYY-MM-DD';
const CURSOR = { type: String, nullable: true, description: 'Cursor of the next page; null on the last page' } as const;

export class TransactionStageChangeDto {
  @ApiProperty({ type: String, nullable: true, description: 'Stage key before; null at creation' }) from: string | null;
  @ApiProperty({ type: String, description: 'Stage key after' }) to: string;
  @ApiProperty({ type: String, format: 'date-time', description: TIMESTAMP }) at: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'User who moved it; null for the system' }) by: string | null;
}

export class TransactionViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, format: 'uuid' }) orgId: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Listing (property) id' }) propertyId: string | null;
  @ApiProperty({ type: [String], format: 'uuid' }) buyerContactIds: string[];
  @ApiProperty({ type: [String], format: 'uuid' }) sellerContactIds: string[];
  @ApiProperty({ type: String, format: 'uuid', description: 'Agent (user) who owns the deal' }) agentId: string;
  @ApiProperty({ type: [TeamShareDto], description: 'Team split of the agent amount' }) team: TeamShareDto[];
  @ApiProperty({ enum: TRANSACTION_SIDES }) side: TransactionView['side'];
  @ApiProperty({ type: 'integer', description: `List or offer price; ${CENTS}` }) price: number;
  @ApiProperty({ type: String, format: 'uuid' }) pipelineId: string;
  @ApiProperty({ type: String, description: 'Stage key in the pipeline' }) stage: string;
  @ApiProperty({ enum: ['open', 'won', 'lost'], description: 'From the stage’s outcome' }) status: TransactionView['status'];
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 100, description: 'Percent, from the stage' }) probability: number;
  @ApiProperty({ type: String, format: 'date', nullable: true, description: DATE }) expectedCloseDate: string | null;
  @ApiProperty({ type: String, format: 'date', nullable: true, description: DATE }) closeDate: string | null;
  @ApiProperty({ type: 'integer', nullable: true, description: CENTS }) closePrice: number | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Commission plan override' }) commissionPlanId: string | null;
  @ApiProperty({ type: [TransactionParticipantDto] }) participants: TransactionParticipantDto[];
  @ApiProperty({ type: TransactionKeyDatesDto }) keyDates: TransactionKeyDatesDto;
  @ApiProperty({ type: String, nullable: true }) notes: string | null;
  @ApiProperty({ type: [TransactionStageChangeDto], description: 'Oldest first' }) stageHistory: TransactionStageChangeDto[];
  @ApiProperty({ type: String, format: 'date-time', description: TIMESTAMP }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', description: TIMESTAMP }) updatedAt: string;
}

export class TransactionPageDto {
  @ApiProperty({ type: [TransactionViewDto] }) items: TransactionViewDto[];
  @ApiProperty(CURSOR) nextCursor: string | null;
}

export class TransactionTimelineEntryDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({
    enum: [
      'created',
      'updated',
      'stage_changed',
      'commission_computed',
      'deleted',
      'offer_submitted',
      'offer_countered',
      'offer_rejected',
      'offer_withdrawn',
      'key_dates_computed',
      'key_date_done',
      'key_date_reopened',
      'file_uploaded',
      'file_deleted',
      'file_shared',
      'file_unshared',
    ],
  })
  kind: TransactionTimelineEntry['kind'];
  @ApiProperty({ type: String, format: 'date-time', description: TIMESTAMP }) at: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) actorId: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'What happened, by kind: `{ changes }`, `{ from, to }`, `{ statementId, version, gross }`, `{ offerId }`, `{ key, date }`, `{ fileId, name }`',
  })
  data: Record<string, unknown>;
}

export class TransactionTimelinePageDto {
  @ApiProperty({ type: [TransactionTimelineEntryDto], description: 'Oldest first' }) items: TransactionTimelineEntryDto[];
  @ApiProperty(CURSOR) nextCursor: string | null;
}

export class PipelineViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ type: Boolean }) isDefault: boolean;
  @ApiProperty({ type: [PipelineStageDto], description: 'In order' }) stages: PipelineStageDto[];
  @ApiProperty({ type: String, format: 'date-time', description: TIMESTAMP }) createdAt: string;
}

export class PipelineListDto {
  @ApiProperty({ type: [PipelineViewDto] }) items: PipelineViewDto[];
}

export class OfferViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, format: 'uuid', description: 'The listing the offer is on' }) propertyId: string;
  @ApiProperty({ type: String, format: 'uuid' }) transactionId: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) buyerContactId: string | null;
  @ApiProperty({ type: String, nullable: true }) buyerName: string | null;
  @ApiProperty({ type: 'integer', description: CENTS }) amount: number;
  @ApiProperty({ type: 'integer', description: CENTS }) earnestMoney: number;
  @ApiProperty({ enum: OFFER_FINANCING_TYPES }) financingType: TransactionOfferView['financingType'];
  @ApiProperty({ type: [String], example: ['inspection', 'financing'] }) contingencies: string[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: TIMESTAMP }) expiresAt: string | null;
  @ApiProperty({ enum: OFFER_STATUSES }) status: TransactionOfferView['status'];
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: TIMESTAMP }) acceptedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', description: TIMESTAMP }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', description: TIMESTAMP }) updatedAt: string;
}

export class OfferPageDto {
  @ApiProperty({ type: [OfferViewDto] }) items: OfferViewDto[];
  @ApiProperty(CURSOR) nextCursor: string | null;
}

export class CommissionPlanViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Gross commission rate of the price in basis points; null with a flat fee' })
  grossRateBps: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: `Flat gross commission; ${CENTS}; null with a rate` }) flatFeeCents:
    number | null;
  @ApiProperty({ type: 'integer', description: 'Agent share of the net in basis points, below the first tier' }) agentSplitBps: number;
  @ApiProperty({ type: 'integer', description: `Per deal, off the agent share; ${CENTS}` }) transactionFeeCents: number;
  @ApiProperty({ type: [CommissionTierDto] }) tiers: CommissionTierDto[];
  @ApiProperty({ type: 'integer', nullable: true, description: `Annual cap on the brokerage share; ${CENTS}` }) annualCapCents:
    number | null;
  @ApiProperty({ type: 'integer', description: 'Referral fee off the top in basis points' }) referralFeeBps: number;
  @ApiProperty({ type: String, format: 'date-time', description: TIMESTAMP }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', description: TIMESTAMP }) updatedAt: string;
}

export class CommissionPlanPageDto {
  @ApiProperty({ type: [CommissionPlanViewDto] }) items: CommissionPlanViewDto[];
  @ApiProperty(CURSOR) nextCursor: string | null;
}

export class AgentCommissionPlanViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) agentId: string;
  @ApiProperty({ type: String, format: 'uuid' }) planId: string;
  @ApiProperty({ type: String, format: 'date-time', description: TIMESTAMP }) updatedAt: string;
}

export class AgentShareDto {
  @ApiProperty({ type: String, format: 'uuid' }) agentId: string;
  @ApiProperty({ type: 'integer', description: 'Share of the agent amount in basis points' }) shareBps: number;
  @ApiProperty({ type: 'integer', description: CENTS }) amount: number;
}

export class CommissionSegmentDto {
  @ApiProperty({ type: 'integer', description: `Year-to-date GCI from; ${CENTS}` }) fromCents: number;
  @ApiProperty({ type: 'integer', description: `Year-to-date GCI to; ${CENTS}` }) toCents: number;
  @ApiProperty({ type: 'integer', description: 'Agent split of this part in basis points' }) agentSplitBps: number;
}

export class CommissionCapDto {
  @ApiProperty({ type: 'integer', nullable: true, description: `${CENTS}; null without a cap` }) capCents: number | null;
  @ApiProperty({ type: 'integer', description: CENTS }) brokerageYtdBefore: number;
  @ApiProperty({ type: 'integer', description: CENTS }) brokerageYtdAfter: number;
  @ApiProperty({ type: 'integer', nullable: true, description: `${CENTS}; null without a cap` }) remainingCents: number | null;
  @ApiProperty({ type: Boolean }) reached: boolean;
}

/** Shared by statements and what-if answers: `gross = referralFee + brokerage + agent + fees`. */
class CommissionFiguresDto {
  @ApiProperty({ type: String, format: 'uuid' }) agentId: string;
  @ApiProperty({ type: String, format: 'date', description: DATE }) closeDate: string;
  @ApiProperty({ type: 'integer', description: `Close price; ${CENTS}` }) price: number;
  @ApiProperty({ type: 'integer', description: `GCI; ${CENTS}` }) gross: number;
  @ApiProperty({ type: 'integer', description: CENTS }) referralFee: number;
  @ApiProperty({ type: 'integer', description: CENTS }) brokerage: number;
  @ApiProperty({ type: 'integer', description: CENTS }) agent: number;
  @ApiProperty({ type: 'integer', description: CENTS }) fees: number;
  @ApiProperty({ type: [AgentShareDto] }) agentShares: AgentShareDto[];
  @ApiProperty({ type: [CommissionSegmentDto] }) segments: CommissionSegmentDto[];
  @ApiProperty({ type: 'integer', description: CENTS }) gciYtdBefore: number;
  @ApiProperty({ type: 'integer', description: CENTS }) gciYtdAfter: number;
  @ApiProperty({ type: CommissionCapDto }) cap: CommissionCapDto;
}

export class CommissionStatementViewDto extends CommissionFiguresDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, format: 'uuid' }) transactionId: string;
  @ApiProperty({ type: 'integer', minimum: 1 }) version: number;
  @ApiProperty({ type: String, format: 'uuid' }) planId: string;
  @ApiProperty({ type: String, format: 'date-time', description: TIMESTAMP }) createdAt: string;
}

export class CommissionWhatIfViewDto extends CommissionFiguresDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null for an inline plan' }) planId: string | null;
}

export class CommissionReportTotalsDto {
  @ApiProperty({ type: 'integer', description: 'Closed transactions' }) count: number;
  @ApiProperty({ type: 'integer', description: `Sum of close prices; ${CENTS}` }) volume: number;
  @ApiProperty({ type: 'integer', description: CENTS }) gci: number;
  @ApiProperty({ type: 'integer', description: CENTS }) referralFees: number;
  @ApiProperty({ type: 'integer', description: CENTS }) agentShare: number;
  @ApiProperty({ type: 'integer', description: CENTS }) brokerageShare: number;
  @ApiProperty({ type: 'integer', description: CENTS }) fees: number;
}

export class CommissionReportRowDto extends CommissionReportTotalsDto {
  @ApiProperty({ type: String, format: 'uuid' }) agentId: string;
  @ApiProperty({ type: String, nullable: true }) agentName: string | null;
}

export class CommissionReportViewDto {
  @ApiProperty({ type: String, format: 'date', description: DATE }) from: string;
  @ApiProperty({ type: String, format: 'date', description: DATE }) to: string;
  @ApiProperty({ type: [CommissionReportRowDto] }) rows: CommissionReportRowDto[];
  @ApiProperty({ type: CommissionReportTotalsDto }) totals: CommissionReportTotalsDto;
}

export class DealSettingsViewDto {
  @ApiProperty({ type: String, example: 'America/Los_Angeles', description: 'IANA time zone of the organization’s calendar' })
  timeZone: string;
  @ApiProperty({ type: DeadlineRulesDto, description: 'One rule per key date' }) deadlines: DeadlineRulesDto;
  @ApiProperty({ type: Boolean }) rollToBusinessDay: boolean;
  @ApiProperty({ type: [String], format: 'date', description: 'Dates, YYYY-MM-DD' }) holidays: string[];
  @ApiProperty({ type: 'integer', isArray: true, description: 'Minutes before the start (00:00, organization time zone) of a key date' })
  reminderOffsetsMinutes: number[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: `${TIMESTAMP}; null while the defaults apply` })
  updatedAt: string | null;
}

export class KeyDateReminderDto {
  @ApiProperty({ type: 'integer', description: 'Minutes before the key date' }) offsetMinutes: number;
  @ApiProperty({ type: String, format: 'date-time', description: TIMESTAMP }) remindAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: TIMESTAMP }) sentAt: string | null;
}

export class KeyDateViewDto {
  @ApiProperty({ enum: TRANSACTION_KEY_DATES }) key: TransactionKeyDateView['key'];
  @ApiProperty({ type: String, format: 'date', description: DATE }) date: string;
  @ApiProperty({ enum: ['computed', 'manual'], description: '`computed` from an accepted offer’s acceptance date' })
  origin: TransactionKeyDateView['origin'];
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: TIMESTAMP }) doneAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: TIMESTAMP }) missedAt: string | null;
  @ApiProperty({ type: [KeyDateReminderDto] }) reminders: KeyDateReminderDto[];
}

export class KeyDateListDto {
  @ApiProperty({ type: [KeyDateViewDto] }) items: KeyDateViewDto[];
}

export class TransactionFileViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, format: 'uuid' }) transactionId: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ type: String, example: 'application/pdf' }) contentType: string;
  @ApiProperty({ type: 'integer', description: 'Bytes' }) size: number;
  @ApiProperty({ type: String, description: 'SHA-256 of the bytes, lowercase hex' }) sha256: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) uploadedBy: string | null;
  @ApiProperty({ type: String, format: 'date-time', description: TIMESTAMP }) createdAt: string;
  @ApiProperty({ type: Boolean, description: 'Whether the deal’s clients see the file in the client portal' }) sharedWithClients: boolean;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: `When it was shared with clients; null while not shared; ${TIMESTAMP}`,
  })
  sharedAt: string | null;
}

export class TransactionFileListDto {
  @ApiProperty({ type: [TransactionFileViewDto] }) items: TransactionFileViewDto[];
}

export class TransactionFileDownloadUrlDto {
  @ApiProperty({
    type: String,
    format: 'uri',
    description:
      'GET URL that needs no token: the S3-compatible store’s pre-signed URL, or with the local disk a signed URL of this gateway; answered as an attachment with the file’s name and type',
  })
  url: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    description: `When the URL stops working (DEALS_COMMISSION_DOWNLOAD_URL_TTL_SECONDS after issue); ${TIMESTAMP}`,
  })
  expiresAt: string;
}

export class InvoiceLineItemViewDto {
  @ApiProperty({ type: String }) description: string;
  @ApiProperty({ type: 'integer' }) quantity: number;
  @ApiProperty({ type: 'integer', description: `Per unit; ${CENTS}` }) unitAmount: number;
  @ApiProperty({ type: 'integer', description: `quantity × unitAmount; ${CENTS}` }) amount: number;
}

export class InvoicePaymentViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: 'integer', description: CENTS }) amount: number;
  @ApiProperty({ type: String, format: 'date', description: DATE }) paidOn: string;
  @ApiProperty({ enum: PAYMENT_METHODS }) method: InvoicePaymentView['method'];
  @ApiProperty({ type: String, nullable: true, description: 'Check number, wire reference, ...' }) reference: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) recordedBy: string | null;
  @ApiProperty({ type: String, format: 'date-time', description: TIMESTAMP }) createdAt: string;
}

export class InvoiceViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, example: 'INV-000042' }) number: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) transactionId: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) agentId: string | null;
  @ApiProperty({ type: InvoiceBillToDto }) billTo: InvoiceBillToDto;
  @ApiProperty({ enum: INVOICE_STATUSES }) status: InvoiceView['status'];
  @ApiProperty({ type: String, format: 'date', description: DATE }) issueDate: string;
  @ApiProperty({ type: String, format: 'date', description: DATE }) dueDate: string;
  @ApiProperty({ type: [InvoiceLineItemViewDto] }) lineItems: InvoiceLineItemViewDto[];
  @ApiProperty({ type: 'integer', description: `Σ quantity × unitAmount; ${CENTS}` }) total: number;
  @ApiProperty({ type: 'integer', description: CENTS }) paid: number;
  @ApiProperty({ type: 'integer', description: `total − paid; ${CENTS}` }) balance: number;
  @ApiProperty({ type: String, nullable: true }) notes: string | null;
  @ApiProperty({ type: [InvoicePaymentViewDto] }) payments: InvoicePaymentViewDto[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: TIMESTAMP }) sentAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: TIMESTAMP }) paidAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: TIMESTAMP }) overdueAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: TIMESTAMP }) voidedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', description: TIMESTAMP }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', description: TIMESTAMP }) updatedAt: string;
}

export class InvoicePageDto {
  @ApiProperty({ type: [InvoiceViewDto] }) items: InvoiceViewDto[];
  @ApiProperty(CURSOR) nextCursor: string | null;
}

// Compile-time: each response class has exactly the keys of its contract view (a field added to a
// view without its documentation fails the gateway's type check).
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : never;
export const RESPONSE_SHAPES_MATCH_CONTRACTS: ReadonlyArray<true> = [
  true satisfies SameKeys<TransactionViewDto, TransactionView>,
  true satisfies SameKeys<TransactionTimelineEntryDto, TransactionTimelineEntry>,
  true satisfies SameKeys<PipelineViewDto, TransactionPipelineView>,
  true satisfies SameKeys<OfferViewDto, TransactionOfferView>,
  true satisfies SameKeys<CommissionPlanViewDto, CommissionPlanView>,
  true satisfies SameKeys<AgentCommissionPlanViewDto, AgentCommissionPlanView>,
  true satisfies SameKeys<CommissionStatementViewDto, CommissionStatementView>,
  true satisfies SameKeys<CommissionWhatIfViewDto, CommissionWhatIfView>,
  true satisfies SameKeys<CommissionReportViewDto, CommissionReportView>,
  true satisfies SameKeys<DealSettingsViewDto, DealSettingsView>,
  true satisfies SameKeys<KeyDateViewDto, TransactionKeyDateView>,
  true satisfies SameKeys<TransactionFileViewDto, TransactionFileView>,
  true satisfies SameKeys<TransactionFileDownloadUrlDto, TransactionFileDownloadUrl>,
  true satisfies SameKeys<InvoiceViewDto, InvoiceView>,
  true satisfies SameKeys<InvoicePaymentViewDto, InvoicePaymentView>,
];
