import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  CRM_LEAD_SOURCE_KEY_MAX_LENGTH,
  CRM_LEAD_SOURCE_KEY_PATTERN,
  CRM_LEAD_SOURCE_LABEL_MAX_LENGTH,
  type CrmLeadSourceCreateRequest,
  type CrmLeadSourceListRequest,
  type CrmLeadSourceReport,
  type CrmLeadSourceReportCounts,
  type CrmLeadSourceReportRequest,
  type CrmLeadSourceReportRow,
  type CrmLeadSourceUpdateRequest,
  type CrmLeadSourceView,
} from '@keyhouse/contracts';

/**
 * Request and response bodies of `/v1/lead-sources` and `/v1/reports/lead-sources` (the crm's
 * `CrmLeadSourceSubjects`; docs/adr/0032), and the shape check every lead source field of the
 * other crm DTOs uses (`LEAD_SOURCE_KEY`): the gateway checks only the shape of a key, the crm
 * checks that the organization has it (400 `UNKNOWN_LEAD_SOURCE`).
 */

/** A lead source key's shape (`CRM_LEAD_SOURCE_KEY_PATTERN`: lowercase slug, at most 40 characters). */
export const LEAD_SOURCE_KEY = new RegExp(CRM_LEAD_SOURCE_KEY_PATTERN);
export const LEAD_SOURCE_KEY_MESSAGE =
  '$property must be a lead source key: a-z, 0-9 and _, starting with a letter or digit, at most 40 characters';

/** `@ApiProperty` options of a lead source key field. */
export function leadSourceApi(description: string, example: string): ApiPropertyOptions {
  return { type: String, pattern: CRM_LEAD_SOURCE_KEY_PATTERN, maxLength: CRM_LEAD_SOURCE_KEY_MAX_LENGTH, description, example };
}

const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const DATE_MESSAGE = '$property must be a date YYYY-MM-DD';
const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class LeadSourceListQueryDto implements CrmLeadSourceListRequest {
  @ApiPropertyOptional({ type: Boolean, default: false, description: 'Also list archived sources' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  includeArchived?: boolean;
}

export class CreateLeadSourceDto implements CrmLeadSourceCreateRequest {
  @ApiProperty(leadSourceApi('Lowercase slug, unique in the organization; never changes', 'facebook'))
  @IsString()
  @Matches(LEAD_SOURCE_KEY, { message: LEAD_SOURCE_KEY_MESSAGE })
  key: string;
  @ApiProperty({ type: String, minLength: 1, maxLength: CRM_LEAD_SOURCE_LABEL_MAX_LENGTH, example: 'Facebook' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(CRM_LEAD_SOURCE_LABEL_MAX_LENGTH)
  label: string;
}

/** `PATCH /v1/lead-sources/:key`: the given fields change. */
export class UpdateLeadSourceDto implements Omit<CrmLeadSourceUpdateRequest, 'key'> {
  @ApiPropertyOptional({ type: String, minLength: 1, maxLength: CRM_LEAD_SOURCE_LABEL_MAX_LENGTH })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(CRM_LEAD_SOURCE_LABEL_MAX_LENGTH)
  label?: string;
  @ApiPropertyOptional({
    type: Boolean,
    description: 'Archive (true) or restore (false). Archived: kept on contacts and rules, valid in list filters, refused for new writes',
  })
  @IsOptional()
  @IsBoolean()
  archived?: boolean;
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'New 0-based place in the list (clamped to its end); the others close up',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000)
  position?: number;
}

export class LeadSourceReportQueryDto implements CrmLeadSourceReportRequest {
  @ApiPropertyOptional({ type: String, format: 'date', description: 'First UTC day, YYYY-MM-DD (default: to minus 89 days)' })
  @IsOptional()
  @Matches(DATE, { message: DATE_MESSAGE })
  from?: string;
  @ApiPropertyOptional({ type: String, format: 'date', description: 'Last UTC day, inclusive, YYYY-MM-DD (default: today)' })
  @IsOptional()
  @Matches(DATE, { message: DATE_MESSAGE })
  to?: string;
}

export class LeadSourceViewDto implements CrmLeadSourceView {
  @ApiProperty(leadSourceApi('Lowercase slug, unique in the organization', 'facebook')) key: string;
  @ApiProperty({ type: String, example: 'Facebook' }) label: string;
  @ApiProperty({ type: Boolean, description: 'Kept on contacts and rules and valid in filters; refused for new writes' }) archived: boolean;
  @ApiProperty({ type: 'integer', description: '0-based place in the list' }) position: number;
  @ApiProperty({ type: Boolean, description: 'One of the defaults every organization starts with' }) builtIn: boolean;
  @ApiProperty({ type: 'integer', description: 'Live contacts with this source that the caller may read' }) contactCount: number;
}

export class LeadSourceReportCountsDto implements CrmLeadSourceReportCounts {
  @ApiProperty({ type: 'integer', description: 'Contacts created in the period' }) leads: number;
  @ApiProperty({ type: 'integer', description: 'Of them, status contacted now' }) contacted: number;
  @ApiProperty({ type: 'integer', description: 'Of them, status qualified now' }) qualified: number;
  @ApiProperty({ type: 'integer', description: 'Of them, status closed now' }) closed: number;
  @ApiProperty({ type: 'integer', description: 'Of them, status lost now' }) lost: number;
  @ApiProperty({ type: 'integer', description: 'closed / leads in basis points (10,000 = 100 %), rounded half up; 0 without leads' })
  conversionRateBps: number;
}

export class LeadSourceReportRowDto extends LeadSourceReportCountsDto implements CrmLeadSourceReportRow {
  @ApiProperty({ type: String, nullable: true, description: 'The source key; null for contacts without a source' }) key: string | null;
  @ApiProperty({ type: String, description: 'The organization’s label (No source for key null)' }) label: string;
}

export class LeadSourceReportDto implements CrmLeadSourceReport {
  @ApiProperty({ type: String, format: 'date' }) from: string;
  @ApiProperty({ type: String, format: 'date' }) to: string;
  @ApiProperty({
    type: [LeadSourceReportRowDto],
    description:
      'Every active source (zero leads too); archived sources and no source only with leads; by leads descending, then list position',
  })
  sources: LeadSourceReportRowDto[];
  @ApiProperty({ type: LeadSourceReportCountsDto }) totals: LeadSourceReportCountsDto;
}
