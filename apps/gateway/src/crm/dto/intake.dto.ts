import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsDateString,
  IsEmail,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import {
  CRM_CONTACT_TYPES,
  CRM_LEAD_EVENT_TYPES,
  type CrmContactType,
  type CrmLeadEventType,
  type CrmLeadSource,
} from '@keyhouse/contracts';
import { MAX_PRICE_CENTS } from '@keyhouse/util';
import { LEAD_SOURCE_KEY, LEAD_SOURCE_KEY_MESSAGE, leadSourceApi } from './lead-sources.dto';

export class LeadPersonDto {
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(100) firstName?: string;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(100) lastName?: string;
  @ApiPropertyOptional({ type: String, format: 'email' }) @IsOptional() @IsEmail() @MaxLength(254) email?: string;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(40) phone?: string;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(20) postalCode?: string;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(100) city?: string;
}

export class LeadPropertyDto {
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(100) listingId?: string;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(50) mlsNumber?: string;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(300) address?: string;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(100) city?: string;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(20) postalCode?: string;
  @ApiPropertyOptional({ type: 'integer', description: 'Integer cents' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE_CENTS)
  priceCents?: number;
  @ApiPropertyOptional({ type: 'integer' }) @IsOptional() @IsInt() @Min(0) @Max(50) beds?: number;
  @ApiPropertyOptional({ type: 'integer' }) @IsOptional() @IsInt() @Min(0) @Max(50) baths?: number;
}

export class LeadEventDto {
  @ApiProperty({ type: String, enum: CRM_LEAD_EVENT_TYPES }) @IsIn([...CRM_LEAD_EVENT_TYPES]) type: CrmLeadEventType;
  @ApiProperty(
    leadSourceApi(
      'Lead source key, an active one of the organization (400 UNKNOWN_LEAD_SOURCE otherwise, from the crm); with externalId the idempotency key',
      'zillow',
    ),
  )
  @IsString()
  @Matches(LEAD_SOURCE_KEY, { message: LEAD_SOURCE_KEY_MESSAGE })
  source: CrmLeadSource;
  @ApiProperty({ type: String, description: 'The source’s id of this event; with source, its idempotency key' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  externalId: string;
  @ApiPropertyOptional({ type: String, format: 'date-time' }) @IsOptional() @IsDateString() occurredAt?: string;
  @ApiProperty({ type: LeadPersonDto }) @ValidateNested() @Type(() => LeadPersonDto) person: LeadPersonDto;
  @ApiPropertyOptional({ type: LeadPropertyDto }) @IsOptional() @ValidateNested() @Type(() => LeadPropertyDto) property?: LeadPropertyDto;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(5000) message?: string;
  @ApiPropertyOptional({ type: String, enum: CRM_CONTACT_TYPES }) @IsOptional() @IsIn([...CRM_CONTACT_TYPES]) contactType?: CrmContactType;
}

export class PublicConsentDto {
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() email?: boolean;
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() sms?: boolean;
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() call?: boolean;
}

/** Public lead form body (Contract: formKey, firstName, lastName, email, phone, message, source). */
export class PublicLeadDto {
  @ApiProperty({ type: String, description: 'The organization’s publicFormKey' })
  @IsString()
  @Matches(/^pfk_[A-Za-z0-9_-]{8,80}$/, { message: 'formKey is not a form key' })
  formKey: string;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(100) firstName?: string;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(100) lastName?: string;
  @ApiPropertyOptional({ type: String, format: 'email' }) @IsOptional() @IsEmail() @MaxLength(254) email?: string;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(40) phone?: string;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(5000) message?: string;
  @ApiPropertyOptional({
    ...leadSourceApi('Lead source key, an active one of the organization (400 UNKNOWN_LEAD_SOURCE otherwise, from the crm)', 'website'),
    default: 'website',
  })
  @IsOptional()
  @IsString()
  @Matches(LEAD_SOURCE_KEY, { message: LEAD_SOURCE_KEY_MESSAGE })
  source?: CrmLeadSource;
  @ApiPropertyOptional({ type: String, example: 'home_valuation' }) @IsOptional() @IsString() @MaxLength(50) formType?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'The form’s other answers, stored as submitted' })
  @IsOptional()
  @IsObject()
  answers?: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'utm_source, utm_medium, utm_campaign, ...' })
  @IsOptional()
  @IsObject()
  utm?: Record<string, string>;
  @ApiPropertyOptional({ type: PublicConsentDto }) @IsOptional() @ValidateNested() @Type(() => PublicConsentDto) consent?: PublicConsentDto;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(20) postalCode?: string;
  @ApiPropertyOptional({ type: String, enum: CRM_CONTACT_TYPES }) @IsOptional() @IsIn([...CRM_CONTACT_TYPES]) contactType?: CrmContactType;
}

/** The same for a new and an existing person: existence of a contact is not revealed. */
export class PublicLeadResponseDto {
  @ApiProperty({ type: String, format: 'uuid', description: 'The stored submission (the same for an Idempotency-Key replay)' })
  submissionId: string;
}

export class LeadEventResponseDto {
  @ApiProperty({ type: String, format: 'uuid' }) eventId: string;
  @ApiProperty({ type: String, format: 'uuid' }) contactId: string;
  @ApiProperty({ type: Boolean }) merged: boolean;
  @ApiProperty({ type: Boolean, description: 'True when this source + externalId was received before (nothing changed)' })
  duplicateEvent: boolean;
}

export class ClientRegistrationDto {
  @ApiProperty({ type: String, description: 'The organization’s publicFormKey' })
  @IsString()
  @Matches(/^pfk_[A-Za-z0-9_-]{8,80}$/, { message: 'formKey is not a form key' })
  formKey: string;
  @ApiProperty({ type: String, maxLength: 200 }) @IsString() @IsNotEmpty() @MaxLength(200) name: string;
  @ApiProperty({ type: String, format: 'email' }) @IsEmail() @MaxLength(254) email: string;
  @ApiProperty({ type: String, minLength: 8, maxLength: 128, description: '8 to 128 characters, not a common password' })
  @IsString()
  @MinLength(8)
  @MaxLength(128)
  password: string;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(40) phone?: string;
}
