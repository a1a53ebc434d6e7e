import { ApiProperty, ApiPropertyOptional, OmitType, PartialType, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
  OFFER_FINANCING_TYPES,
  OFFER_STATUSES,
  TRANSACTION_PARTICIPANT_ROLES,
  TRANSACTION_SIDES,
  type TransactionOfferFinancing,
  type TransactionParticipantRole,
  type TransactionSide,
} from '@keyhouse/contracts';
import { MAX_CENTS } from '@keyhouse/util';
import { PageQueryDto } from '../../users/dto/users.dto';

const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const DATE_MESSAGE = 'must be a date YYYY-MM-DD';
const STAGE_KEY = /^[a-z][a-z0-9_-]{0,39}$/;

export class TransactionParticipantDto {
  @ApiProperty({ enum: ['buy', 'list', 'both'] }) @IsIn(['buy', 'list', 'both']) side: 'buy' | 'list' | 'both';
  @ApiProperty({ enum: TRANSACTION_PARTICIPANT_ROLES }) @IsIn(TRANSACTION_PARTICIPANT_ROLES) role: TransactionParticipantRole;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) @IsOptional() @IsUUID() contactId?: string | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) @IsOptional() @IsUUID() userId?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsString() @MaxLength(200) name?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsString() @MaxLength(200) company?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsEmail() @MaxLength(254) email?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'E.164' })
  @IsOptional()
  @Matches(/^\+[1-9]\d{6,14}$/, { message: 'phone must be an E.164 number such as +12065550100' })
  phone?: string | null;
}

export class TransactionKeyDatesDto {
  @ApiPropertyOptional({ type: String, format: 'date', nullable: true, description: 'Date, YYYY-MM-DD' })
  @IsOptional()
  @Matches(DATE, { message: DATE_MESSAGE })
  depositDue?: string | null;
  @ApiPropertyOptional({ type: String, format: 'date', nullable: true, description: 'Date, YYYY-MM-DD' })
  @IsOptional()
  @Matches(DATE, { message: DATE_MESSAGE })
  inspection?: string | null;
  @ApiPropertyOptional({ type: String, format: 'date', nullable: true, description: 'Date, YYYY-MM-DD' })
  @IsOptional()
  @Matches(DATE, { message: DATE_MESSAGE })
  appraisal?: string | null;
  @ApiPropertyOptional({ type: String, format: 'date', nullable: true, description: 'Date, YYYY-MM-DD' })
  @IsOptional()
  @Matches(DATE, { message: DATE_MESSAGE })
  financingContingency?: string | null;
  @ApiPropertyOptional({ type: String, format: 'date', nullable: true, description: 'Date, YYYY-MM-DD' })
  @IsOptional()
  @Matches(DATE, { message: DATE_MESSAGE })
  finalWalkThrough?: string | null;
  @ApiPropertyOptional({ type: String, format: 'date', nullable: true, description: 'Date, YYYY-MM-DD' })
  @IsOptional()
  @Matches(DATE, { message: DATE_MESSAGE })
  closing?: string | null;
}

export class TeamShareDto {
  @ApiProperty({ type: String, format: 'uuid' }) @IsUUID() agentId: string;
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: 10000,
    description: 'Share of the agent amount in basis points; shares sum to 10000',
  })
  @IsInt()
  @Min(1)
  @Max(10_000)
  shareBps: number;
}

export class CreateTransactionDto {
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'Listing (property) id' })
  @IsOptional()
  @IsUUID()
  propertyId?: string | null;
  @ApiPropertyOptional({ format: 'uuid', type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsUUID('all', { each: true })
  buyerContactIds?: string[];
  @ApiPropertyOptional({ format: 'uuid', type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsUUID('all', { each: true })
  sellerContactIds?: string[];
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'Agent on the deal; defaults to the caller' })
  @IsOptional()
  @IsUUID()
  agentId?: string;
  @ApiPropertyOptional({ type: [TeamShareDto], description: 'Team split of the agent amount' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => TeamShareDto)
  team?: TeamShareDto[];
  @ApiProperty({ enum: TRANSACTION_SIDES }) @IsIn(TRANSACTION_SIDES) side: TransactionSide;
  @ApiProperty({ type: 'integer', description: 'Price in cents' }) @IsInt() @Min(0) @Max(MAX_CENTS) price: number;
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'Defaults to the organization’s default pipeline' })
  @IsOptional()
  @IsUUID()
  pipelineId?: string;
  @ApiPropertyOptional({ type: String, description: 'Stage key; defaults to the first stage' })
  @IsOptional()
  @Matches(STAGE_KEY)
  stage?: string;
  @ApiPropertyOptional({ type: String, format: 'date', nullable: true, description: 'Date, YYYY-MM-DD' })
  @IsOptional()
  @Matches(DATE, { message: DATE_MESSAGE })
  expectedCloseDate?: string | null;
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 100, description: 'Percent; defaults to the stage’s' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  probability?: number;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'Commission plan override' })
  @IsOptional()
  @IsUUID()
  commissionPlanId?: string | null;
  @ApiPropertyOptional({ type: [TransactionParticipantDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => TransactionParticipantDto)
  participants?: TransactionParticipantDto[];
  @ApiPropertyOptional({ type: TransactionKeyDatesDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => TransactionKeyDatesDto)
  keyDates?: TransactionKeyDatesDto;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsString() @MaxLength(10_000) notes?: string | null;
  @ApiPropertyOptional({ type: 'integer', description: 'Final price in cents; required for a won stage' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_CENTS)
  closePrice?: number;
  @ApiPropertyOptional({ type: String, format: 'date', description: 'Close date; required for a won stage; date, YYYY-MM-DD' })
  @IsOptional()
  @Matches(DATE, { message: DATE_MESSAGE })
  closeDate?: string;
}

/**
 * `PATCH` of a transaction: the fields of {@link CreateTransactionDto}, each optional. Declared
 * again because their create defaults or notes do not apply to a change: `agentId`, `pipelineId`,
 * `stage`, `probability` and `keyDates` (merged into the stored key dates).
 */
export class UpdateTransactionDto extends PartialType(
  OmitType(CreateTransactionDto, ['agentId', 'pipelineId', 'stage', 'probability', 'keyDates'] as const),
) {
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() agentId?: string;
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() pipelineId?: string;
  @ApiPropertyOptional({ type: String, description: 'Stage key; a won stage needs closePrice and closeDate' })
  @IsOptional()
  @Matches(STAGE_KEY)
  stage?: string;
  @ApiPropertyOptional({ type: 'integer' }) @IsOptional() @IsInt() @Min(0) @Max(100) probability?: number;
  @ApiPropertyOptional({ type: TransactionKeyDatesDto, description: 'Merged into the key dates; null clears one' })
  @IsOptional()
  @ValidateNested()
  @Type(() => TransactionKeyDatesDto)
  keyDates?: TransactionKeyDatesDto;
}

export class ListTransactionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() agentId?: string;
  @ApiPropertyOptional({ type: String }) @IsOptional() @Matches(STAGE_KEY) stage?: string;
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() pipelineId?: string;
  @ApiPropertyOptional({ enum: TRANSACTION_SIDES }) @IsOptional() @IsIn(TRANSACTION_SIDES) side?: TransactionSide;
  @ApiPropertyOptional({ enum: ['open', 'won', 'lost'] }) @IsOptional() @IsIn(['open', 'won', 'lost']) status?: 'open' | 'won' | 'lost';
  @ApiPropertyOptional({ type: String, format: 'date', description: 'Date, YYYY-MM-DD' })
  @IsOptional()
  @Matches(DATE, { message: DATE_MESSAGE })
  expectedCloseFrom?: string;
  @ApiPropertyOptional({ type: String, format: 'date', description: 'Date, YYYY-MM-DD' })
  @IsOptional()
  @Matches(DATE, { message: DATE_MESSAGE })
  expectedCloseTo?: string;
  @ApiPropertyOptional({ type: 'integer', description: 'cents' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_CENTS)
  priceMin?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'cents' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_CENTS)
  priceMax?: number;
}

export class AgentTransactionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: String }) @IsOptional() @Matches(STAGE_KEY) stage?: string;
  @ApiPropertyOptional({ enum: ['open', 'won', 'lost'] }) @IsOptional() @IsIn(['open', 'won', 'lost']) status?: 'open' | 'won' | 'lost';
}

export class PipelineStageDto {
  @ApiProperty({ type: String }) @Matches(STAGE_KEY) key: string;
  @ApiProperty({ type: String }) @IsString() @IsNotEmpty() @MaxLength(80) name: string;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 100 }) @IsInt() @Min(0) @Max(100) probability: number;
  @ApiProperty({ enum: ['open', 'won', 'lost'] }) @IsIn(['open', 'won', 'lost']) outcome: 'open' | 'won' | 'lost';
}

export class CreatePipelineDto {
  @ApiProperty({ type: String }) @IsString() @IsNotEmpty() @MaxLength(100) name: string;
  @ApiProperty({ type: [PipelineStageDto] })
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(30)
  @ValidateNested({ each: true })
  @Type(() => PipelineStageDto)
  stages: PipelineStageDto[];
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() isDefault?: boolean;
}

export class CommissionTierDto {
  @ApiProperty({ type: 'integer', description: 'Year-to-date GCI in cents from which this split applies' })
  @IsInt()
  @Min(0)
  @Max(MAX_CENTS)
  thresholdCents: number;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 10000, description: 'Basis points (1 bp = 0.01 %)' })
  @IsInt()
  @Min(0)
  @Max(10_000)
  agentSplitBps: number;
}

export class CommissionPlanTermsDto {
  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    description: 'Gross commission rate of the price in basis points; or flatFeeCents',
  })
  @ValidateIf((dto: CommissionPlanTermsDto) => dto.grossRateBps !== null && dto.grossRateBps !== undefined)
  @IsInt()
  @Min(0)
  @Max(10_000)
  grossRateBps?: number | null;
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'Flat gross commission in cents; or grossRateBps' })
  @ValidateIf((dto: CommissionPlanTermsDto) => dto.flatFeeCents !== null && dto.flatFeeCents !== undefined)
  @IsInt()
  @Min(0)
  @Max(MAX_CENTS)
  flatFeeCents?: number | null;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 10000, description: 'Agent share of the net commission in basis points' })
  @IsInt()
  @Min(0)
  @Max(10_000)
  agentSplitBps: number;
  @ApiPropertyOptional({ type: 'integer', default: 0, description: 'Fee per transaction from the agent share to the brokerage, in cents' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_CENTS)
  transactionFeeCents?: number;
  @ApiPropertyOptional({ type: [CommissionTierDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => CommissionTierDto)
  tiers?: CommissionTierDto[];
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'Annual cap on the brokerage share in cents' })
  @ValidateIf((dto: CommissionPlanTermsDto) => dto.annualCapCents !== null && dto.annualCapCents !== undefined)
  @IsInt()
  @Min(0)
  @Max(MAX_CENTS)
  annualCapCents?: number | null;
  @ApiPropertyOptional({ type: 'integer', default: 0, description: 'Referral fee off the top, basis points' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000)
  referralFeeBps?: number;
}

export class CreateCommissionPlanDto extends CommissionPlanTermsDto {
  @ApiProperty({ type: String }) @IsString() @IsNotEmpty() @MaxLength(100) name: string;
}

/**
 * `PATCH` of a commission plan: the fields of {@link CreateCommissionPlanDto}, each optional.
 * `transactionFeeCents` and `referralFeeBps` are declared again because their create default (0)
 * does not apply to a change.
 */
export class UpdateCommissionPlanDto extends PartialType(
  OmitType(CreateCommissionPlanDto, ['transactionFeeCents', 'referralFeeBps'] as const),
) {
  @ApiPropertyOptional({ type: 'integer', description: 'Integer cents (USD)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_CENTS)
  transactionFeeCents?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Basis points (1 bp = 0.01 %)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000)
  referralFeeBps?: number;
}

export class SetAgentCommissionPlanDto {
  @ApiProperty({ type: String, format: 'uuid' }) @IsUUID() planId: string;
}

export class CommissionWhatIfDto {
  @ApiProperty({ type: 'integer', description: 'Hypothetical close price in cents' }) @IsInt() @Min(0) @Max(MAX_CENTS) price: number;
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'Whose year-to-date figures apply; defaults to the caller' })
  @IsOptional()
  @IsUUID()
  agentId?: string;
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'A stored plan; or `plan`; else the agent’s plan' })
  @IsOptional()
  @IsUUID()
  planId?: string;
  @ApiPropertyOptional({ type: CommissionPlanTermsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CommissionPlanTermsDto)
  plan?: CommissionPlanTermsDto;
  @ApiPropertyOptional({ type: String, format: 'date', description: 'Date, YYYY-MM-DD' })
  @IsOptional()
  @Matches(DATE, { message: DATE_MESSAGE })
  closeDate?: string;
  @ApiPropertyOptional({ type: [TeamShareDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => TeamShareDto)
  team?: TeamShareDto[];
}

export class StatementQueryDto {
  @ApiPropertyOptional({ type: 'integer', description: 'A past version; the current one by default' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  version?: number;
}

export class CommissionReportQueryDto {
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() agentId?: string;
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() teamId?: string;
  @ApiPropertyOptional({ type: String, example: '2026-11' })
  @IsOptional()
  @Matches(/^\d{4}-(0[1-9]|1[0-2])$/, { message: 'month must be YYYY-MM' })
  month?: string;
  @ApiPropertyOptional({ type: String, format: 'date', description: 'Date, YYYY-MM-DD' })
  @IsOptional()
  @Matches(DATE, { message: DATE_MESSAGE })
  from?: string;
  @ApiPropertyOptional({ type: String, format: 'date', description: 'Date, YYYY-MM-DD' })
  @IsOptional()
  @Matches(DATE, { message: DATE_MESSAGE })
  to?: string;
  @ApiPropertyOptional({ enum: ['json', 'csv', 'pdf'] }) @IsOptional() @IsIn(['json', 'csv', 'pdf']) format?: 'json' | 'csv' | 'pdf';
}

export class TimelineQueryDto extends PageQueryDto {}

export class CreateOfferDto {
  @ApiProperty({ type: String, format: 'uuid', description: 'The transaction the offer is recorded on (its propertyId is the listing)' })
  @IsUUID()
  transactionId: string;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) @IsOptional() @IsUUID() buyerContactId?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsString() @MaxLength(200) buyerName?: string | null;
  @ApiProperty({ type: 'integer', description: 'cents' }) @IsInt() @Min(0) @Max(MAX_CENTS) amount: number;
  @ApiPropertyOptional({ type: 'integer', description: 'cents' }) @IsOptional() @IsInt() @Min(0) @Max(MAX_CENTS) earnestMoney?: number;
  @ApiProperty({ enum: OFFER_FINANCING_TYPES }) @IsIn(OFFER_FINANCING_TYPES) financingType: TransactionOfferFinancing;
  @ApiPropertyOptional({ type: [String], example: ['inspection', 'appraisal', 'financing'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  contingencies?: string[];
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'RFC 3339 timestamp with offset; returned in UTC',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string | null;
}

/** `PATCH` of an offer: its terms as in {@link CreateOfferDto}, each optional, and a status change. */
export class UpdateOfferDto extends PartialType(
  PickType(CreateOfferDto, ['amount', 'earnestMoney', 'contingencies', 'expiresAt'] as const),
) {
  @ApiPropertyOptional({ enum: ['countered', 'rejected', 'withdrawn'], description: 'Changing the terms alone marks the offer countered' })
  @IsOptional()
  @IsIn(['countered', 'rejected', 'withdrawn'])
  status?: 'countered' | 'rejected' | 'withdrawn';
}

export class ListOffersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() propertyId?: string;
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() transactionId?: string;
  @ApiPropertyOptional({ enum: OFFER_STATUSES }) @IsOptional() @IsIn(OFFER_STATUSES) status?: (typeof OFFER_STATUSES)[number];
}
