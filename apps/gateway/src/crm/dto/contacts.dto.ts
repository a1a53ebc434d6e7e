import { ApiProperty, ApiPropertyOptional, PartialType, PickType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDateString,
  IsEmail,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  CRM_CONTACT_SCORES,
  CRM_CONTACT_SORTS,
  CRM_CONTACT_STATUSES,
  CRM_CONTACT_TYPES,
  CRM_DUPLICATE_POLICIES,
  CRM_LEAD_SOURCES,
  type CrmContactScore,
  type CrmContactSort,
  type CrmContactStatus,
  type CrmContactType,
  type CrmDuplicatePolicy,
  type CrmLeadSource,
} from '@keyhouse/contracts';
import { MAX_PRICE_CENTS } from '@keyhouse/util';
import { PageQueryDto } from '../../users/dto/users.dto';

/** A query parameter given once, repeated, or comma-separated, as a list. */
const toList = ({ value }: { value: unknown }) =>
  value === undefined
    ? undefined
    : (Array.isArray(value) ? value : [value])
        .flatMap((v) => String(v).split(','))
        .map((v) => v.trim())
        .filter(Boolean);

export class ReferrerDto {
  @ApiProperty({ type: String, enum: ['contact', 'agent', 'partner'] }) @IsIn(['contact', 'agent', 'partner']) type:
    'contact' | 'agent' | 'partner';
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) @IsOptional() @IsUUID() id?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200 }) @IsOptional() @IsString() @MaxLength(200) name?: string | null;
}

export class PreferencesDto {
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'Integer cents' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE_CENTS)
  minPriceCents?: number | null;
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'Integer cents' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE_CENTS)
  maxPriceCents?: number | null;
  @ApiPropertyOptional({ type: [String], example: ['98103'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(20, { each: true })
  postalCodes?: string[];
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  areas?: string[];
  @ApiPropertyOptional({ type: 'integer', nullable: true }) @IsOptional() @IsInt() @Min(0) @Max(50) minBeds?: number | null;
  @ApiPropertyOptional({ type: 'integer', nullable: true }) @IsOptional() @IsInt() @Min(0) @Max(50) minBaths?: number | null;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(50, { each: true })
  propertyTypes?: string[];
  @ApiPropertyOptional({ type: Boolean, nullable: true }) @IsOptional() @IsBoolean() preApproved?: boolean | null;
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'Integer cents' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE_CENTS)
  preApprovedAmountCents?: number | null;
}

export class AddressDto {
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsString() @MaxLength(200) street?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsString() @MaxLength(100) city?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsString() @MaxLength(50) state?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: '98103' }) @IsOptional() @IsString() @MaxLength(20) postalCode?:
    string | null;
}

export class ConsentEntryDto {
  @ApiProperty({ type: Boolean }) @IsBoolean() granted: boolean;
  @ApiProperty({ type: String, example: 'web_form', description: 'Where the consent was given or withdrawn' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  source: string;
  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'ISO 8601; defaults to now' })
  @IsOptional()
  @IsDateString()
  at?: string;
}

export class ConsentDto {
  @ApiPropertyOptional({ type: ConsentEntryDto }) @IsOptional() @ValidateNested() @Type(() => ConsentEntryDto) email?: ConsentEntryDto;
  @ApiPropertyOptional({ type: ConsentEntryDto }) @IsOptional() @ValidateNested() @Type(() => ConsentEntryDto) sms?: ConsentEntryDto;
  @ApiPropertyOptional({ type: ConsentEntryDto }) @IsOptional() @ValidateNested() @Type(() => ConsentEntryDto) call?: ConsentEntryDto;
}

/** Fields of a contact, all optional on update. */
export class ContactFieldsDto {
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 100 }) @IsOptional() @IsString() @MaxLength(100) firstName?:
    string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 100 }) @IsOptional() @IsString() @MaxLength(100) lastName?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, format: 'email', description: 'Primary email' })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Primary phone; normalised to E.164 (default region US)' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  phone?: string | null;
  @ApiPropertyOptional({ format: 'email', type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsEmail({}, { each: true })
  emails?: string[];
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @MaxLength(40, { each: true })
  phones?: string[];
  @ApiPropertyOptional({ type: String, enum: CRM_CONTACT_TYPES, nullable: true })
  @IsOptional()
  @IsIn([...CRM_CONTACT_TYPES])
  type?: CrmContactType | null;
  @ApiPropertyOptional({ type: String, enum: CRM_CONTACT_STATUSES })
  @IsOptional()
  @IsIn([...CRM_CONTACT_STATUSES])
  status?: CrmContactStatus;
  @ApiPropertyOptional({
    type: String,
    enum: CRM_CONTACT_SCORES,
    nullable: true,
    description: 'Manual score override; null returns to the computed score',
  })
  @IsOptional()
  @IsIn([...CRM_CONTACT_SCORES])
  scoreOverride?: CrmContactScore | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) @IsOptional() @IsUUID() ownerId?: string | null;
  @ApiPropertyOptional({ type: String, enum: CRM_LEAD_SOURCES, nullable: true })
  @IsOptional()
  @IsIn([...CRM_LEAD_SOURCES])
  source?: CrmLeadSource | null;
  @ApiPropertyOptional({ type: ReferrerDto, nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => ReferrerDto)
  referrer?: ReferrerDto | null;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(50, { each: true })
  tags?: string[];
  @ApiPropertyOptional({ type: PreferencesDto }) @IsOptional() @ValidateNested() @Type(() => PreferencesDto) preferences?: PreferencesDto;
  @ApiPropertyOptional({ type: AddressDto }) @IsOptional() @ValidateNested() @Type(() => AddressDto) address?: AddressDto;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'A company of the organization' })
  @IsOptional()
  @IsUUID()
  companyId?: string | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) @IsOptional() @IsDateString() lastContactedAt?: string | null;
  @ApiPropertyOptional({ type: ConsentDto }) @IsOptional() @ValidateNested() @Type(() => ConsentDto) consent?: ConsentDto;
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() doNotContact?: boolean;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Values of the organization’s custom fields by key' })
  @IsOptional()
  @IsObject()
  customFields?: Record<string, unknown>;
}

export class CreateContactDto extends ContactFieldsDto {
  @ApiPropertyOptional({
    type: String,
    enum: CRM_DUPLICATE_POLICIES,
    default: 'reject',
    description: 'On duplicates: 409 (reject), create anyway, or merge into the best match',
  })
  @IsOptional()
  @IsIn([...CRM_DUPLICATE_POLICIES])
  onDuplicate?: CrmDuplicatePolicy;
}

export class UpdateContactDto extends ContactFieldsDto {}

export class ListContactsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: [String], enum: CRM_CONTACT_STATUSES })
  @IsOptional()
  @Transform(toList)
  @IsIn([...CRM_CONTACT_STATUSES], { each: true })
  status?: CrmContactStatus[];
  @ApiPropertyOptional({ type: [String], enum: CRM_CONTACT_SCORES })
  @IsOptional()
  @Transform(toList)
  @IsIn([...CRM_CONTACT_SCORES], { each: true })
  score?: CrmContactScore[];
  @ApiPropertyOptional({ type: [String], enum: CRM_CONTACT_TYPES })
  @IsOptional()
  @Transform(toList)
  @IsIn([...CRM_CONTACT_TYPES], { each: true })
  type?: CrmContactType[];
  @ApiPropertyOptional({ type: [String], enum: CRM_LEAD_SOURCES })
  @IsOptional()
  @Transform(toList)
  @IsIn([...CRM_LEAD_SOURCES], { each: true })
  source?: CrmLeadSource[];
  @ApiPropertyOptional({ type: [String], description: 'All tags given must be on the contact' })
  @IsOptional()
  @Transform(toList)
  @IsString({ each: true })
  @ArrayMaxSize(20)
  tag?: string[];
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() ownerId?: string;
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'Contacts owned by members of this team' })
  @IsOptional()
  @IsUUID()
  teamId?: string;
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() pondId?: string;
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() companyId?: string;
  @ApiPropertyOptional({ type: String, format: 'date-time' }) @IsOptional() @IsDateString() createdFrom?: string;
  @ApiPropertyOptional({ type: String, format: 'date-time' }) @IsOptional() @IsDateString() createdTo?: string;
  @ApiPropertyOptional({ type: String, format: 'date-time' }) @IsOptional() @IsDateString() lastContactedFrom?: string;
  @ApiPropertyOptional({ type: String, format: 'date-time' }) @IsOptional() @IsDateString() lastContactedTo?: string;
  @ApiPropertyOptional({ type: String, description: 'Search in name, emails and phones' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;
  @ApiPropertyOptional({ type: String, enum: CRM_CONTACT_SORTS, default: '-createdAt' })
  @IsOptional()
  @IsIn([...CRM_CONTACT_SORTS])
  sort?: CrmContactSort;
}

export class MergeContactDto {
  @ApiProperty({ type: String, format: 'uuid', description: 'The contact merged into this one; it keeps mergedIntoId' })
  @IsUUID()
  sourceId: string;
}

export class AssignContactDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The new owner; null unassigns' })
  @IsOptional()
  @IsUUID()
  ownerId: string | null;
  @ApiPropertyOptional({ type: String, maxLength: 500 }) @IsOptional() @IsString() @MaxLength(500) reason?: string;
}

const BULK_IDS = 10_000;

export class BulkIdsDto {
  @ApiProperty({ format: 'uuid', type: [String], maxItems: BULK_IDS })
  @IsArray()
  @ArrayMaxSize(BULK_IDS)
  @IsUUID('all', { each: true })
  ids: string[];
}

export class BulkStatusDto extends BulkIdsDto {
  @ApiProperty({ type: String, enum: CRM_CONTACT_STATUSES }) @IsIn([...CRM_CONTACT_STATUSES]) status: CrmContactStatus;
}

export class BulkAssignDto extends BulkIdsDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) @IsOptional() @IsUUID() ownerId: string | null;
}

export class BulkTagsDto extends BulkIdsDto {
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(50, { each: true })
  add?: string[];
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(50, { each: true })
  remove?: string[];
}

export class CreateNoteDto {
  @ApiProperty({ type: String, maxLength: 10000 }) @IsString() @IsNotEmpty() @MaxLength(10000) body: string;
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() pinned?: boolean;
}

/** `PATCH` of a note: the fields of {@link CreateNoteDto}, each optional. */
export class UpdateNoteDto extends PartialType(CreateNoteDto) {}

export class CreateCustomFieldDto {
  @ApiProperty({ type: String, example: 'moving_date', description: 'snake_case key used in customFields' })
  @IsString()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @Matches(/^[a-z][a-z0-9_]{0,39}$/, { message: 'key must be snake_case, 1 to 40 characters' })
  key: string;
  @ApiProperty({ type: String, maxLength: 100 }) @IsString() @IsNotEmpty() @MaxLength(100) label: string;
  @ApiProperty({ type: String, enum: ['text', 'number', 'boolean', 'date', 'select'] })
  @IsIn(['text', 'number', 'boolean', 'date', 'select'])
  type: 'text' | 'number' | 'boolean' | 'date' | 'select';
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  options?: string[];
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() required?: boolean;
}

export class TimelineQueryDto extends PageQueryDto {}

export class ImportQueryDto {
  @ApiPropertyOptional({ type: String, description: 'JSON object: CSV header → field, e.g. {"E-mail":"email","Zip":"postalCode"}' })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  mapping?: string;
  @ApiPropertyOptional({ type: String, enum: ['merge', 'skip'], default: 'merge' }) @IsOptional() @IsIn(['merge', 'skip']) onDuplicate?:
    'merge' | 'skip';
}

/** `PATCH` of a custom field: label and required as in {@link CreateCustomFieldDto}, each optional; the key and type are fixed. */
export class UpdateCustomFieldDto extends PartialType(PickType(CreateCustomFieldDto, ['label', 'required'] as const)) {
  @ApiPropertyOptional({ type: [String], description: 'Select fields only' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  options?: string[];
}
