import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import { PageQueryDto } from '../../users/dto/users.dto';
import { GeoJsonAreaDto, PropertyFiltersQueryDto } from './property.dto';

export class RecordViewDto {
  @ApiProperty({ type: String, format: 'uuid', description: 'CRM contact who viewed the listing' }) @IsUUID() contactId: string;
  @ApiProperty({ enum: ['website', 'portal', 'agent'] }) @IsIn(['website', 'portal', 'agent']) source: 'website' | 'portal' | 'agent';
}

export class PutInterestDto {
  @ApiProperty({ enum: ['Favorite', 'Possibility', 'Discard'], description: 'RESO ContactListingPreference' })
  @IsIn(['Favorite', 'Possibility', 'Discard'])
  preference: 'Favorite' | 'Possibility' | 'Discard';

  @ApiPropertyOptional({ type: String, maxLength: 2000, nullable: true })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(2000)
  note?: string | null;
}

export class ListInterestsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'Interest of one contact (or give propertyId)' })
  @IsOptional()
  @IsUUID()
  contactId?: string;
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'Interest in one listing (or give contactId)' })
  @IsOptional()
  @IsUUID()
  propertyId?: string;
}

export class CreateSavedSearchDto {
  @ApiProperty({ type: String, format: 'uuid' }) @IsUUID() contactId: string;
  @ApiProperty({ type: String, maxLength: 200 }) @IsString() @IsNotEmpty() @MaxLength(200) name: string;
  @ApiProperty({ type: PropertyFiltersQueryDto, description: 'The list filters (prices in cents)' })
  @IsObject()
  @ValidateNested()
  @Type(() => PropertyFiltersQueryDto)
  filters: PropertyFiltersQueryDto;
  @ApiPropertyOptional({ type: GeoJsonAreaDto, nullable: true })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => GeoJsonAreaDto)
  geometry?: GeoJsonAreaDto | null;
}

export class ListSavedSearchesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() contactId?: string;
}

export class PropertyViewRecordedDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, format: 'uuid' }) propertyId: string;
  @ApiProperty({ type: String, format: 'uuid' }) contactId: string;
  @ApiProperty({ type: String }) source: string;
  @ApiProperty({ type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) viewedAt: string;
}

export class ContactListingViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) contactId: string;
  @ApiProperty({ type: String, format: 'uuid' }) propertyId: string;
  @ApiProperty({ enum: ['Favorite', 'Possibility', 'Discard'] }) preference: string;
  @ApiProperty({ nullable: true, type: String }) note: string | null;
  @ApiProperty({ type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) updatedAt: string;
}

export class ContactListingPageDto {
  @ApiProperty({ type: [ContactListingViewDto] }) items: ContactListingViewDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class SavedSearchViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, format: 'uuid' }) contactId: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) filters: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) geometry: Record<string, unknown> | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) createdBy: string | null;
  @ApiProperty({ type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) createdAt: string;
}

export class SavedSearchPageDto {
  @ApiProperty({ type: [SavedSearchViewDto] }) items: SavedSearchViewDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class ShareListingDto {
  @ApiProperty({ type: String, format: 'uuid', description: 'CRM contact to share the listing with (one the caller can read)' })
  @IsUUID()
  contactId: string;
}

export class ListingShareViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) propertyId: string;
  @ApiProperty({ type: String, format: 'uuid' }) contactId: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'User who shared it' }) sharedBy: string | null;
  @ApiProperty({ type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) sharedAt: string;
}
