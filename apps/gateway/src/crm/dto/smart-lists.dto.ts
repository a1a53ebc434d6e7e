import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDateString,
  IsIn,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import {
  CRM_CONTACT_SCORES,
  CRM_CONTACT_SORTS,
  CRM_CONTACT_STATUSES,
  CRM_CONTACT_TYPES,
  type CrmContactScore,
  type CrmContactSort,
  type CrmContactStatus,
  type CrmContactType,
  type CrmLeadSource,
} from '@keyhouse/contracts';
import { LEAD_SOURCE_KEY, LEAD_SOURCE_KEY_MESSAGE } from './lead-sources.dto';

/** The saved filters: the contact list filters (arrays, not comma strings) plus custom field values. */
export class SmartListFiltersDto {
  @ApiPropertyOptional({ type: [String], enum: CRM_CONTACT_STATUSES, isArray: true })
  @IsOptional()
  @IsArray()
  @IsIn([...CRM_CONTACT_STATUSES], { each: true })
  status?: CrmContactStatus[];
  @ApiPropertyOptional({ type: [String], enum: CRM_CONTACT_SCORES, isArray: true })
  @IsOptional()
  @IsArray()
  @IsIn([...CRM_CONTACT_SCORES], { each: true })
  score?: CrmContactScore[];
  @ApiPropertyOptional({ type: [String], enum: CRM_CONTACT_TYPES, isArray: true })
  @IsOptional()
  @IsArray()
  @IsIn([...CRM_CONTACT_TYPES], { each: true })
  type?: CrmContactType[];
  @ApiPropertyOptional({
    type: [String],
    example: ['referral'],
    description: 'Lead source keys of the organization, archived ones included (400 UNKNOWN_LEAD_SOURCE, filters.source[i], otherwise)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Matches(LEAD_SOURCE_KEY, { each: true, message: LEAD_SOURCE_KEY_MESSAGE })
  source?: CrmLeadSource[];
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(50, { each: true })
  tag?: string[];
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() ownerId?: string;
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() teamId?: string;
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() pondId?: string;
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() companyId?: string;
  @ApiPropertyOptional({ type: String, format: 'date-time' }) @IsOptional() @IsDateString() createdFrom?: string;
  @ApiPropertyOptional({ type: String, format: 'date-time' }) @IsOptional() @IsDateString() createdTo?: string;
  @ApiPropertyOptional({ type: String, format: 'date-time' }) @IsOptional() @IsDateString() lastContactedFrom?: string;
  @ApiPropertyOptional({ type: String, format: 'date-time' }) @IsOptional() @IsDateString() lastContactedTo?: string;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(100) q?: string;
  @ApiPropertyOptional({ type: String, enum: CRM_CONTACT_SORTS }) @IsOptional() @IsIn([...CRM_CONTACT_SORTS]) sort?: CrmContactSort;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Custom field key → exact value' })
  @IsOptional()
  @IsObject()
  customFields?: Record<string, string | number | boolean>;
}

export class CreateSmartListDto {
  @ApiProperty({ type: String, maxLength: 200 }) @IsString() @IsNotEmpty() @MaxLength(200) name: string;
  @ApiProperty({ type: SmartListFiltersDto }) @ValidateNested() @Type(() => SmartListFiltersDto) filters: SmartListFiltersDto;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'Share with one of your teams; null = personal' })
  @IsOptional()
  @IsUUID()
  teamId?: string | null;
}

/** `PATCH` of a smart list: the fields of {@link CreateSmartListDto}, each optional. */
export class UpdateSmartListDto extends PartialType(CreateSmartListDto) {}
