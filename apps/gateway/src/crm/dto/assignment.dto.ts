import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  CRM_ASSIGNMENT_STRATEGIES,
  CRM_CONTACT_TYPES,
  type CrmAssignmentStrategy,
  type CrmContactType,
  type CrmLeadSource,
} from '@keyhouse/contracts';
import { LEAD_SOURCE_KEY, LEAD_SOURCE_KEY_MESSAGE } from './lead-sources.dto';

export class AssignmentConditionsDto {
  @ApiPropertyOptional({
    type: [String],
    example: ['referral'],
    description:
      'Lead source keys of the organization; a new condition must name active ones (400 UNKNOWN_LEAD_SOURCE, conditions.sources[i])',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Matches(LEAD_SOURCE_KEY, { each: true, message: LEAD_SOURCE_KEY_MESSAGE })
  sources?: CrmLeadSource[];
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @MaxLength(20, { each: true })
  postalCodes?: string[];
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  cities?: string[];
  @ApiPropertyOptional({ type: [String], enum: CRM_CONTACT_TYPES, isArray: true })
  @IsOptional()
  @IsArray()
  @IsIn([...CRM_CONTACT_TYPES], { each: true })
  types?: CrmContactType[];
  @ApiPropertyOptional({ type: 'integer', description: 'Integer cents' }) @IsOptional() @IsInt() @Min(0) minPrice?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Integer cents' }) @IsOptional() @IsInt() @Min(0) maxPrice?: number;
}

/** Contract: name, priority, conditions, strategy, agentIds, pondId, responseDeadlineMinutes. */
export class CreateAssignmentRuleDto {
  @ApiProperty({ type: String, maxLength: 200 }) @IsString() @IsNotEmpty() @MaxLength(200) name: string;
  @ApiProperty({ type: 'integer', description: 'Lower runs first' }) @IsInt() @Min(0) @Max(100_000) priority: number;
  @ApiPropertyOptional({ type: AssignmentConditionsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => AssignmentConditionsDto)
  conditions?: AssignmentConditionsDto;
  @ApiProperty({ type: String, enum: CRM_ASSIGNMENT_STRATEGIES }) @IsIn([...CRM_ASSIGNMENT_STRATEGIES]) strategy: CrmAssignmentStrategy;
  @ApiPropertyOptional({ format: 'uuid', type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @IsUUID('all', { each: true })
  agentIds?: string[];
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) @IsOptional() @IsUUID() pondId?: string | null;
  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    description: 'Speed-to-lead: re-route when not contacted within this many minutes',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_080)
  responseDeadlineMinutes?: number | null;
  @ApiPropertyOptional({ type: Boolean, default: true }) @IsOptional() @IsBoolean() active?: boolean;
}

/**
 * `PATCH` of an assignment rule: the fields of {@link CreateAssignmentRuleDto}, each optional.
 * `active` is declared again because the create default (true) does not apply to a change.
 */
export class UpdateAssignmentRuleDto extends PartialType(OmitType(CreateAssignmentRuleDto, ['active'] as const)) {
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() active?: boolean;
}

export class CreatePondDto {
  @ApiProperty({ type: String, maxLength: 200 }) @IsString() @IsNotEmpty() @MaxLength(200) name: string;
  @ApiPropertyOptional({ format: 'uuid', type: [String], description: 'Agents who may claim; empty = every agent' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @IsUUID('all', { each: true })
  agentIds?: string[];
}

/** `PATCH /v1/ponds/:id`: the given fields replace the pond's (those of {@link CreatePondDto}, each optional). */
export class UpdatePondDto extends PartialType(OmitType(CreatePondDto, ['agentIds'] as const)) {
  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'Agents who may claim (replaces the list); empty = every agent' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @IsUUID('all', { each: true })
  agentIds?: string[];
}

export class ClaimDto {
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'The lead to claim; the oldest unclaimed when absent' })
  @IsOptional()
  @IsUUID()
  contactId?: string;
}
