import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsDateString, IsEmail, IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';
import {
  CRM_CONTACT_TYPES,
  CRM_LEAD_EVENT_TYPES,
  CRM_LEAD_SOURCES,
  type CrmContactType,
  type CrmLeadEventType,
  type CrmLeadSource,
} from '@keyhouse/contracts';

export class LeadPersonDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) firstName?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) lastName?: string;
  @ApiPropertyOptional() @IsOptional() @IsEmail() @MaxLength(254) email?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(40) phone?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(20) postalCode?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) city?: string;
}

export class LeadPropertyDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) listingId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(50) mlsNumber?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(300) address?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) city?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(20) postalCode?: string;
  @ApiPropertyOptional({ description: 'Integer cents' }) @IsOptional() @IsInt() @Min(0) @Max(1_000_000_000_000) priceCents?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) @Max(50) beds?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) @Max(50) baths?: number;
}

export class LeadEventDto {
  @ApiProperty({ enum: CRM_LEAD_EVENT_TYPES }) @IsIn([...CRM_LEAD_EVENT_TYPES]) type: CrmLeadEventType;
  @ApiProperty({ enum: CRM_LEAD_SOURCES }) @IsIn([...CRM_LEAD_SOURCES]) source: CrmLeadSource;
  @ApiProperty({ description: 'The source’s id of this event; with source, its idempotency key' }) @IsString() @IsNotEmpty() @MaxLength(200) externalId: string;
  @ApiPropertyOptional() @IsOptional() @IsDateString() occurredAt?: string;
  @ApiProperty({ type: LeadPersonDto }) @ValidateNested() @Type(() => LeadPersonDto) person: LeadPersonDto;
  @ApiPropertyOptional({ type: LeadPropertyDto }) @IsOptional() @ValidateNested() @Type(() => LeadPropertyDto) property?: LeadPropertyDto;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(5000) message?: string;
  @ApiPropertyOptional({ enum: CRM_CONTACT_TYPES }) @IsOptional() @IsIn([...CRM_CONTACT_TYPES]) contactType?: CrmContactType;
}

export class PublicConsentDto {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() email?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() sms?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() call?: boolean;
}

/** Public lead form body (Contract: formKey, firstName, lastName, email, phone, message, source). */
export class PublicLeadDto {
  @ApiProperty({ description: 'The organization’s publicFormKey' }) @IsString() @Matches(/^pfk_[A-Za-z0-9_-]{8,80}$/, { message: 'formKey is not a form key' }) formKey: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) firstName?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) lastName?: string;
  @ApiPropertyOptional() @IsOptional() @IsEmail() @MaxLength(254) email?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(40) phone?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(5000) message?: string;
  @ApiPropertyOptional({ enum: CRM_LEAD_SOURCES, default: 'website' }) @IsOptional() @IsIn([...CRM_LEAD_SOURCES]) source?: CrmLeadSource;
  @ApiPropertyOptional({ example: 'home_valuation' }) @IsOptional() @IsString() @MaxLength(50) formType?: string;
  @ApiPropertyOptional({ description: 'The form’s other answers, stored as submitted' }) @IsOptional() @IsObject() answers?: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'utm_source, utm_medium, utm_campaign, ...' }) @IsOptional() @IsObject() utm?: Record<string, string>;
  @ApiPropertyOptional({ type: PublicConsentDto }) @IsOptional() @ValidateNested() @Type(() => PublicConsentDto) consent?: PublicConsentDto;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(20) postalCode?: string;
  @ApiPropertyOptional({ enum: CRM_CONTACT_TYPES }) @IsOptional() @IsIn([...CRM_CONTACT_TYPES]) contactType?: CrmContactType;
}

export class PublicLeadResponseDto {
  @ApiProperty() contactId: string;
  @ApiProperty({ description: 'True when merged into an existing contact (HTTP 200), false when created (201)' }) merged: boolean;
}

export class LeadEventResponseDto {
  @ApiProperty() eventId: string;
  @ApiProperty() contactId: string;
  @ApiProperty() merged: boolean;
  @ApiProperty({ description: 'True when this source + externalId was received before (nothing changed)' }) duplicateEvent: boolean;
}

export class ClientRegistrationDto {
  @ApiProperty({ description: 'The organization’s publicFormKey' }) @IsString() @Matches(/^pfk_[A-Za-z0-9_-]{8,80}$/, { message: 'formKey is not a form key' }) formKey: string;
  @ApiProperty({ maxLength: 200 }) @IsString() @IsNotEmpty() @MaxLength(200) name: string;
  @ApiProperty() @IsEmail() @MaxLength(254) email: string;
  @ApiProperty({ minLength: 8, maxLength: 128, description: '8 to 128 characters, not a common password' }) @IsString() @MinLength(8) @MaxLength(128) password: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(40) phone?: string;
}
