import { ApiProperty } from '@nestjs/swagger';
import { LISTINGS_PROPERTY_TYPES, LISTINGS_STANDARD_STATUSES } from '@keyhouse/contracts';

/** Response shapes, for the OpenAPI document only (the service builds the bodies). */
export class PropertyMediaView {
  @ApiProperty({ type: String }) url: string;
  @ApiProperty({ type: Number }) order: number;
  @ApiProperty({ nullable: true, type: String }) caption: string | null;
}

export class PropertyViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, format: 'uuid' }) orgId: string;
  @ApiProperty({ type: String, description: 'RESO ListingKey' }) listingKey: string;
  @ApiProperty({ nullable: true, type: String, description: 'RESO ListingId (MLS number)' }) listingId: string | null;
  @ApiProperty({ enum: LISTINGS_STANDARD_STATUSES }) standardStatus: string;
  @ApiProperty({ enum: LISTINGS_PROPERTY_TYPES }) propertyType: string;
  @ApiProperty({ nullable: true, type: Number, description: 'Integer cents (USD)' }) listPrice: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Integer cents (USD)' }) closePrice: number | null;
  @ApiProperty({ nullable: true, type: String, format: 'date', description: 'Date, YYYY-MM-DD' }) closeDate: string | null;
  @ApiProperty({ nullable: true, type: String }) streetNumber: string | null;
  @ApiProperty({ nullable: true, type: String }) streetName: string | null;
  @ApiProperty({ nullable: true, type: String }) unitNumber: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'RESO UnparsedAddress, built from the parts' }) unparsedAddress: string | null;
  @ApiProperty({ nullable: true, type: String }) city: string | null;
  @ApiProperty({ nullable: true, type: String }) stateOrProvince: string | null;
  @ApiProperty({ nullable: true, type: String }) postalCode: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'WGS 84 degrees' }) latitude: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'WGS 84 degrees' }) longitude: number | null;
  @ApiProperty({ nullable: true, type: Number }) bedroomsTotal: number | null;
  @ApiProperty({ nullable: true, type: Number }) bathroomsTotalInteger: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Square feet' }) livingArea: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Square feet' }) lotSizeSquareFeet: number | null;
  @ApiProperty({ nullable: true, type: Number }) yearBuilt: number | null;
  @ApiProperty({ nullable: true, type: String }) publicRemarks: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) listAgentId: string | null;
  @ApiProperty({ type: [PropertyMediaView] }) media: PropertyMediaView[];
  @ApiProperty({ enum: ['manual', 'mls', 'import'] }) origin: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Source attributes without a column (e.g. King County grade)' })
  attributes: Record<string, unknown>;
  @ApiProperty({ type: String, format: 'date-time', description: 'RESO ModificationTimestamp; rFC 3339 timestamp, UTC' })
  modificationTimestamp: string;
  @ApiProperty({ type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) createdAt: string;
}

export class PropertyPageDto {
  @ApiProperty({ type: [PropertyViewDto] }) items: PropertyViewDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class PropertyWithDistanceDto extends PropertyViewDto {
  @ApiProperty({ type: Number, description: 'Metres from the centre on the WGS 84 spheroid, to the centimetre' }) distanceMeters: number;
}

export class RadiusPageDto {
  @ApiProperty({ type: [PropertyWithDistanceDto], description: 'Nearest first' }) items: PropertyWithDistanceDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class ComparableDto {
  @ApiProperty({ type: PropertyViewDto }) property: PropertyViewDto;
  @ApiProperty({ type: Number, description: 'Metres from the subject' }) distanceMeters: number;
  @ApiProperty({ type: Number, description: 'closePrice / livingArea in cents per square foot' }) pricePerSqFt: number;
}

export class ComparablesSummaryDto {
  @ApiProperty({ type: Number }) count: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Cents per square foot' }) medianPricePerSqFt: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Cents: subject living area × first quartile of $/sq ft' }) suggestedPriceLow:
    number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Cents: subject living area × third quartile of $/sq ft' }) suggestedPriceHigh:
    number | null;
}

export class ComparablesDto {
  @ApiProperty({ type: String, format: 'uuid' }) subjectId: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) criteria: Record<string, unknown>;
  @ApiProperty({ type: [ComparableDto] }) items: ComparableDto[];
  @ApiProperty({ type: ComparablesSummaryDto }) summary: ComparablesSummaryDto;
}

export class ImportRejectedRowDto {
  @ApiProperty({ type: Number, description: '1-based data row (header is row 0)' }) row: number;
  @ApiProperty({ nullable: true, type: String }) listingKey: string | null;
  @ApiProperty({ type: [String] }) reasons: string[];
}

export class ImportResultDto {
  @ApiProperty({ type: Number }) rows: number;
  @ApiProperty({ type: Number }) created: number;
  @ApiProperty({ type: Number }) updated: number;
  @ApiProperty({ type: Number }) unchanged: number;
  @ApiProperty({ type: Number }) rejected: number;
  @ApiProperty({ type: [ImportRejectedRowDto], description: 'The first 1000 rejected rows' }) rejectedRows: ImportRejectedRowDto[];
  @ApiProperty({ type: Number }) durationMs: number;
}
