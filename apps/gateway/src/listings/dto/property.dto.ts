import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsLatitude,
  IsLongitude,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
  LISTINGS_PROPERTY_SORTS,
  LISTINGS_PROPERTY_TYPES,
  LISTINGS_STANDARD_STATUSES,
  type ListingsPropertySort,
  type ListingsPropertyType,
  type ListingsStandardStatus,
} from '@keyhouse/contracts';
import { MAX_PRICE_CENTS } from '@keyhouse/util';
import { PageQueryDto } from '../../users/dto/users.dto';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** `a,b` or repeated `?x=a&x=b` → array. */
const toList = ({ value }: { value: unknown }) =>
  value === undefined
    ? undefined
    : (Array.isArray(value) ? value : [value])
        .flatMap((v) => String(v).split(','))
        .map((v) => v.trim())
        .filter(Boolean);

export class PropertyMediaDto {
  @ApiProperty({ type: String, example: 'https://cdn.example/photos/1.jpg', description: 'RESO Media MediaURL (https)' })
  @IsUrl({ protocols: ['https', 'http'], require_protocol: true })
  @MaxLength(2000)
  url: string;

  @ApiProperty({ type: 'integer', minimum: 0, maximum: 999, description: 'RESO Media Order: display position, 0 first' })
  @IsInt()
  @Min(0)
  @Max(999)
  order: number;

  @ApiPropertyOptional({ type: String, maxLength: 500, nullable: true, description: 'RESO Media ShortDescription' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  caption?: string | null;
}

/** Writable RESO fields (camelCase), shared by create and update. Prices are integer cents (USD). */
export class PropertyFieldsDto {
  @ApiPropertyOptional({ type: String, maxLength: 64, nullable: true, description: 'RESO ListingId: the MLS number' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  listingId?: string | null;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_PRICE_CENTS,
    nullable: true,
    example: 65000000,
    description: 'RESO ListPrice in integer cents (USD): 65000000 = $650,000.00',
  })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE_CENTS)
  listPrice?: number | null;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_PRICE_CENTS,
    nullable: true,
    description: 'RESO ClosePrice in integer cents (USD); required for Closed',
  })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE_CENTS)
  closePrice?: number | null;

  @ApiPropertyOptional({
    type: String,
    format: 'date',
    example: '2026-03-31',
    nullable: true,
    description: 'RESO CloseDate (YYYY-MM-DD, not in the future); required for Closed',
  })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @Matches(DATE, { message: 'closeDate must be a date YYYY-MM-DD' })
  closeDate?: string | null;

  @ApiPropertyOptional({ type: String, maxLength: 20, nullable: true })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(20)
  streetNumber?: string | null;
  @ApiPropertyOptional({ type: String, maxLength: 200, nullable: true })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(200)
  streetName?: string | null;
  @ApiPropertyOptional({ type: String, maxLength: 20, nullable: true })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(20)
  unitNumber?: string | null;
  @ApiPropertyOptional({ type: String, maxLength: 100, nullable: true, example: 'Seattle' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(100)
  city?: string | null;
  @ApiPropertyOptional({ type: String, maxLength: 50, nullable: true, example: 'WA' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(50)
  stateOrProvince?: string | null;
  @ApiPropertyOptional({ type: String, maxLength: 20, nullable: true, example: '98103' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(20)
  postalCode?: string | null;

  @ApiPropertyOptional({ type: Number, nullable: true, example: 47.6615, description: 'WGS 84 degrees; with longitude' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsLatitude()
  latitude?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, example: -122.3425, description: 'WGS 84 degrees; with latitude' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsLongitude()
  longitude?: number | null;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 1000, nullable: true })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(0)
  @Max(1000)
  bedroomsTotal?: number | null;
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 1000,
    nullable: true,
    description: 'Full and partial bathrooms, each counted once',
  })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(0)
  @Max(1000)
  bathroomsTotalInteger?: number | null;
  @ApiPropertyOptional({ type: 'integer', minimum: 0, nullable: true, description: 'Square feet' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(0)
  @Max(100_000_000)
  livingArea?: number | null;
  @ApiPropertyOptional({ type: 'integer', minimum: 0, nullable: true, description: 'Square feet' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(0)
  @Max(2_000_000_000)
  lotSizeSquareFeet?: number | null;
  @ApiPropertyOptional({ type: 'integer', minimum: 1600, nullable: true })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(1600)
  @Max(2100)
  yearBuilt?: number | null;
  @ApiPropertyOptional({ type: String, maxLength: 4000, nullable: true })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(4000)
  publicRemarks?: string | null;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'User id of the listing agent; defaults to the caller',
  })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsUUID()
  listAgentId?: string | null;

  @ApiPropertyOptional({ type: [PropertyMediaDto], maxItems: 100 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => PropertyMediaDto)
  media?: PropertyMediaDto[];
}

export class CreatePropertyDto extends PropertyFieldsDto {
  @ApiPropertyOptional({ type: String, maxLength: 255, description: 'RESO ListingKey, unique in the organization; generated when absent' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  listingKey?: string;

  @ApiProperty({ enum: LISTINGS_STANDARD_STATUSES, description: 'RESO StandardStatus' })
  @IsIn(LISTINGS_STANDARD_STATUSES)
  standardStatus: ListingsStandardStatus;

  @ApiProperty({ enum: LISTINGS_PROPERTY_TYPES, description: 'RESO PropertyType' })
  @IsIn(LISTINGS_PROPERTY_TYPES)
  propertyType: ListingsPropertyType;
}

export class UpdatePropertyDto extends PropertyFieldsDto {
  @ApiPropertyOptional({
    enum: LISTINGS_STANDARD_STATUSES,
    description: 'RESO StandardStatus; changes follow the transition table (docs/adr/0011)',
  })
  @IsOptional()
  @IsIn(LISTINGS_STANDARD_STATUSES)
  standardStatus?: ListingsStandardStatus;

  @ApiPropertyOptional({ enum: LISTINGS_PROPERTY_TYPES })
  @IsOptional()
  @IsIn(LISTINGS_PROPERTY_TYPES)
  propertyType?: ListingsPropertyType;
}

/** List filters (query string). */
export class PropertyFiltersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ isArray: true, enum: LISTINGS_STANDARD_STATUSES, description: 'Comma-separated or repeated' })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @ArrayMaxSize(8)
  @IsIn(LISTINGS_STANDARD_STATUSES, { each: true })
  standardStatus?: ListingsStandardStatus[];

  @ApiPropertyOptional({ isArray: true, enum: LISTINGS_PROPERTY_TYPES, description: 'Comma-separated or repeated' })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @ArrayMaxSize(9)
  @IsIn(LISTINGS_PROPERTY_TYPES, { each: true })
  propertyType?: ListingsPropertyType[];

  @ApiPropertyOptional({ type: 'integer', description: 'Cents, inclusive; on listPrice, or closePrice once Closed' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  minPrice?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Cents, inclusive; on listPrice, or closePrice once Closed' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  maxPrice?: number;
  @ApiPropertyOptional({ type: 'integer' }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) minBedrooms?: number;
  @ApiPropertyOptional({ type: 'integer' }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) maxBedrooms?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'On bathroomsTotalInteger' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  minBathrooms?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'On bathroomsTotalInteger' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  maxBathrooms?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Square feet, inclusive' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  minLivingArea?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Square feet, inclusive' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  maxLivingArea?: number;
  @ApiPropertyOptional({ type: String, description: 'Case-insensitive exact match' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  city?: string;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(20) postalCode?: string;
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() listAgentId?: string;
  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'Only properties whose modificationTimestamp is at or after it; rFC 3339 timestamp, UTC',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  modifiedSince?: string;
}

export class ListPropertiesQueryDto extends PropertyFiltersQueryDto {
  @ApiPropertyOptional({ enum: LISTINGS_PROPERTY_SORTS, default: '-modificationTimestamp', description: 'A leading - sorts descending' })
  @IsOptional()
  @IsIn(LISTINGS_PROPERTY_SORTS)
  sort?: ListingsPropertySort;
}

export class RadiusSearchQueryDto extends PropertyFiltersQueryDto {
  @ApiProperty({ type: Number, example: 47.6062, description: 'Centre latitude, WGS 84 degrees' })
  @Type(() => Number)
  @IsLatitude()
  lat: number;
  @ApiProperty({ type: Number, example: -122.3321, description: 'Centre longitude, WGS 84 degrees' })
  @Type(() => Number)
  @IsLongitude()
  lng: number;
  @ApiProperty({ type: Number, example: 1500, minimum: 1, maximum: 50000, description: 'Radius in metres (at most 50 km)' })
  @Type(() => Number)
  @IsNumber()
  @Min(1)
  @Max(50000)
  radius: number;
}

export class GeoJsonAreaDto {
  @ApiProperty({ enum: ['Polygon', 'MultiPolygon'] }) @IsIn(['Polygon', 'MultiPolygon']) type: 'Polygon' | 'MultiPolygon';

  @ApiProperty({
    description: 'RFC 7946 coordinates: [longitude, latitude] positions, closed rings, at most 2000 positions in all',
    example: [
      [
        [-122.36, 47.65],
        [-122.33, 47.65],
        [-122.33, 47.67],
        [-122.36, 47.67],
        [-122.36, 47.65],
      ],
    ],
    type: 'array',
    // Polygon: rings of positions; MultiPolygon: polygons of rings of positions. A position is [longitude, latitude] in WGS 84 degrees.
    items: {
      type: 'array',
      items: { type: 'array', items: { oneOf: [{ type: 'number' }, { type: 'array', items: { type: 'number' } }] } },
    },
  })
  @IsArray()
  @ArrayMaxSize(500)
  coordinates: number[][][] | number[][][][];
}

/** Body of `POST /v1/properties/search`: an area and the list filters. */
export class PolygonSearchDto {
  @ApiProperty({ type: GeoJsonAreaDto }) @IsObject() @ValidateNested() @Type(() => GeoJsonAreaDto) geometry: GeoJsonAreaDto;
  @ApiPropertyOptional({ type: PropertyFiltersQueryDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PropertyFiltersQueryDto)
  filters?: PropertyFiltersQueryDto;
  @ApiPropertyOptional({ enum: LISTINGS_PROPERTY_SORTS }) @IsOptional() @IsIn(LISTINGS_PROPERTY_SORTS) sort?: ListingsPropertySort;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100 }) @IsOptional() @IsInt() @Min(1) @Max(100) limit?: number;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(500) cursor?: string;
}

export class ComparablesQueryDto {
  @ApiPropertyOptional({ type: 'integer', default: 1600, minimum: 100, maximum: 10000, description: 'Metres around the subject' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(10000)
  radius?: number;
  @ApiPropertyOptional({
    type: 'integer',
    default: 12,
    minimum: 1,
    maximum: 240,
    description: 'Closed within this many months before the subject’s close date (or today)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(240)
  months?: number;
  @ApiPropertyOptional({ type: 'integer', default: 1, minimum: 0, maximum: 5, description: 'Bedrooms within ± this' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(5)
  bedroomsTolerance?: number;
  @ApiPropertyOptional({ type: 'integer', default: 20, minimum: 0, maximum: 100, description: 'Living area within ± this percentage' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(100)
  livingAreaTolerancePercent?: number;
  @ApiPropertyOptional({ type: 'integer', default: 10, minimum: 1, maximum: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(50)
  limit?: number;
}

export class ImportQueryDto {
  @ApiPropertyOptional({ enum: ['king-county'], default: 'king-county', description: 'Column layout of the file' })
  @IsOptional()
  @IsIn(['king-county'])
  format?: 'king-county';
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'Listing agent given to the imported records' })
  @IsOptional()
  @IsUUID()
  listAgentId?: string;
}
