import { ApiProperty, ApiPropertyOptional, PartialType, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { INVOICE_STATUSES, PAYMENT_METHODS, type InvoicePaymentMethod, type InvoiceStatus } from '@keyhouse/contracts';
import { MAX_CENTS } from '@keyhouse/util';
import { PageQueryDto } from '../../users/dto/users.dto';

const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const DATE_MESSAGE = 'must be a date YYYY-MM-DD';

export class DeadlineRuleDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 365, description: 'Days after the acceptance date' })
  @IsInt()
  @Min(0)
  @Max(365)
  days: number;
  @ApiProperty({ enum: ['calendar', 'business'] }) @IsIn(['calendar', 'business']) count: 'calendar' | 'business';
}

export class DeadlineRulesDto {
  @ApiPropertyOptional({ type: DeadlineRuleDto, description: 'Earnest money deposit' })
  @IsOptional()
  @ValidateNested()
  @Type(() => DeadlineRuleDto)
  depositDue?: DeadlineRuleDto;
  @ApiPropertyOptional({ type: DeadlineRuleDto }) @IsOptional() @ValidateNested() @Type(() => DeadlineRuleDto) inspection?: DeadlineRuleDto;
  @ApiPropertyOptional({ type: DeadlineRuleDto }) @IsOptional() @ValidateNested() @Type(() => DeadlineRuleDto) appraisal?: DeadlineRuleDto;
  @ApiPropertyOptional({ type: DeadlineRuleDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => DeadlineRuleDto)
  financingContingency?: DeadlineRuleDto;
  @ApiPropertyOptional({ type: DeadlineRuleDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => DeadlineRuleDto)
  finalWalkThrough?: DeadlineRuleDto;
  @ApiPropertyOptional({ type: DeadlineRuleDto }) @IsOptional() @ValidateNested() @Type(() => DeadlineRuleDto) closing?: DeadlineRuleDto;
}

export class UpdateDealSettingsDto {
  @ApiPropertyOptional({ type: String, example: 'America/Los_Angeles', description: 'IANA time zone of the organization’s calendar' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timeZone?: string;
  @ApiPropertyOptional({ type: DeadlineRulesDto, description: 'Merged per key date' })
  @IsOptional()
  @ValidateNested()
  @Type(() => DeadlineRulesDto)
  deadlines?: DeadlineRulesDto;
  @ApiPropertyOptional({ type: Boolean, description: 'Move a calendar-day deadline off weekends and holidays to the next business day' })
  @IsOptional()
  @IsBoolean()
  rollToBusinessDay?: boolean;
  @ApiPropertyOptional({
    format: 'date',
    type: [String],
    example: ['2026-11-26', '2026-12-25'],
    description: 'Replaces the holiday list; date, YYYY-MM-DD',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @Matches(DATE, { each: true, message: 'each holiday must be a date YYYY-MM-DD' })
  holidays?: string[];
  @ApiPropertyOptional({ type: [Number], example: [4320, 1440], description: 'Minutes before the start of a key date; replaces the list' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsInt({ each: true })
  @Min(0, { each: true })
  @Max(525_600, { each: true })
  reminderOffsetsMinutes?: number[];
}

export class UpdateKeyDateDto {
  @ApiProperty({ type: Boolean, description: 'Mark the key date done (true) or open again (false)' }) @IsBoolean() done: boolean;
}

/** `PUT /v1/transactions/:id/files/:fileId/sharing`. */
export class UpdateFileSharingDto {
  @ApiProperty({ type: Boolean, description: 'Show the file to the deal’s clients in the client portal (true) or hide it (false)' })
  @IsBoolean()
  shared: boolean;
}

export class InvoiceLineItemDto {
  @ApiProperty({ type: String }) @IsString() @IsNotEmpty() @MaxLength(500) description: string;
  @ApiProperty({ type: 'integer', minimum: 1 }) @IsInt() @Min(1) @Max(1_000_000) quantity: number;
  @ApiProperty({ type: 'integer', description: 'Cents per unit' }) @IsInt() @Min(0) @Max(MAX_CENTS) unitAmount: number;
}

export class InvoiceBillToDto {
  @ApiProperty({ type: String }) @IsString() @IsNotEmpty() @MaxLength(200) name: string;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsString() @MaxLength(200) company?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsEmail() @MaxLength(254) email?: string | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) @IsOptional() @IsUUID() contactId?: string | null;
}

export class CreateInvoiceDto {
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'The transaction invoiced (required below org scope)' })
  @IsOptional()
  @IsUUID()
  transactionId?: string | null;
  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'Agent concerned; defaults to the transaction’s agent',
  })
  @IsOptional()
  @IsUUID()
  agentId?: string | null;
  @ApiProperty({ type: InvoiceBillToDto }) @ValidateNested() @Type(() => InvoiceBillToDto) billTo: InvoiceBillToDto;
  @ApiPropertyOptional({ type: String, format: 'date', description: 'Defaults to today in the organization’s time zone; date, YYYY-MM-DD' })
  @IsOptional()
  @Matches(DATE, { message: DATE_MESSAGE })
  issueDate?: string;
  @ApiProperty({ type: String, format: 'date', description: 'Date, YYYY-MM-DD' }) @Matches(DATE, { message: DATE_MESSAGE }) dueDate: string;
  @ApiProperty({ type: [InvoiceLineItemDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => InvoiceLineItemDto)
  lineItems: InvoiceLineItemDto[];
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsString() @MaxLength(5000) notes?: string | null;
}

/**
 * `PATCH` of a draft invoice: bill-to, due date and notes as in {@link CreateInvoiceDto}, each
 * optional; `issueDate` (no default here) and `lineItems` (replaces the lines) are declared again.
 */
export class UpdateInvoiceDto extends PartialType(PickType(CreateInvoiceDto, ['billTo', 'dueDate', 'notes'] as const)) {
  @ApiPropertyOptional({ type: String, format: 'date', description: 'Date, YYYY-MM-DD' })
  @IsOptional()
  @Matches(DATE, { message: DATE_MESSAGE })
  issueDate?: string;
  @ApiPropertyOptional({ type: [InvoiceLineItemDto], description: 'Replaces the lines' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => InvoiceLineItemDto)
  lineItems?: InvoiceLineItemDto[];
}

export class ListInvoicesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: INVOICE_STATUSES }) @IsOptional() @IsIn(INVOICE_STATUSES) status?: InvoiceStatus;
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() transactionId?: string;
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() agentId?: string;
}

export class CreatePaymentDto {
  @ApiProperty({ type: 'integer', description: 'Cents; at most the balance' }) @IsInt() @Min(1) @Max(MAX_CENTS) amount: number;
  @ApiProperty({ type: String, format: 'date', description: 'Date received; date, YYYY-MM-DD' })
  @Matches(DATE, { message: DATE_MESSAGE })
  paidOn: string;
  @ApiProperty({ enum: PAYMENT_METHODS }) @IsIn(PAYMENT_METHODS) method: InvoicePaymentMethod;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Check number, wire reference, ...' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  reference?: string | null;
}

/** The query of a signed download URL (`GET /v1/transactions/:id/files/:fileId/signed`), as `download-url` wrote it. */
export class SignedFileDownloadQueryDto {
  @ApiProperty({ type: 'integer', description: 'When the URL stops working, Unix time in seconds' })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  expires: number;
  @ApiProperty({ type: String, description: 'HMAC-SHA256 signature of the deal, the file and `expires`, base64url' })
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'signature must be the signature of a download URL' })
  signature: string;
}
