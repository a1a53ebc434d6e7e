import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

export class CreateMlsSourceDto {
  @ApiProperty({ type: String, maxLength: 200, example: 'NWMLS' }) @IsString() @IsNotEmpty() @MaxLength(200) name: string;

  @ApiProperty({
    type: String,
    example: 'https://api.mls.example/reso/odata',
    description:
      'RESO Web API service root; `Property` is requested below it. Must be https to a host whose every address is public (private, loopback and link-local refused: 400 MLS_SOURCE_URL_NOT_ALLOWED)',
  })
  @IsUrl({ protocols: ['https', 'http'], require_protocol: true, require_tld: false })
  @MaxLength(2000)
  baseUrl: string;

  @ApiProperty({ type: String, description: 'Bearer token for the MLS; stored encrypted, never returned' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(4000)
  accessToken: string;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1000, default: 200, description: '$top of each page' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  pageSize?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1440, default: 15, description: 'Minutes between pulls' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1440)
  intervalMinutes?: number;
}

/** Changes to an MLS source; every field optional. */
export class UpdateMlsSourceDto {
  @ApiPropertyOptional({ type: String, maxLength: 200 }) @IsOptional() @IsString() @IsNotEmpty() @MaxLength(200) name?: string;

  @ApiPropertyOptional({
    type: String,
    description:
      'RESO Web API service root, https to public addresses only (400 MLS_SOURCE_URL_NOT_ALLOWED); a new root clears the high-water mark (the next pull starts from the beginning)',
  })
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_protocol: true, require_tld: false })
  @MaxLength(2000)
  baseUrl?: string;

  @ApiPropertyOptional({ type: String, description: 'New bearer token; stored encrypted under the active key, never returned' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(4000)
  accessToken?: string;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1000 }) @IsOptional() @IsInt() @Min(1) @Max(1000) pageSize?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1440, description: 'Minutes' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1440)
  intervalMinutes?: number;
  @ApiPropertyOptional({ type: Boolean, description: 'false stops scheduled and manual pulls' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

/** `{ "value": [ RESO Property records in PascalCase ] }` as an OData response carries them. */
export class MlsWebhookDto {
  @ApiPropertyOptional({ type: String, name: '@odata.context' }) @IsOptional() @IsString() @MaxLength(2000) '@odata.context'?: string;

  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    maxItems: 1000,
    example: [{ ListingKey: 'abc123', StandardStatus: 'Active', ListPrice: 650000, ModificationTimestamp: '2026-03-01T10:00:00Z' }],
    description: 'RESO Property records (prices in dollars as RESO sends them); StandardStatus "Delete" removes a listing',
  })
  @IsArray()
  @ArrayMaxSize(1000)
  @IsObject({ each: true })
  value: Array<Record<string, unknown>>;
}

export class MlsSourceViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ type: String }) baseUrl: string;
  @ApiProperty({ type: Number }) pageSize: number;
  @ApiProperty({ type: Number, description: 'Minutes' }) intervalMinutes: number;
  @ApiProperty({ type: Boolean }) enabled: boolean;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'Largest ModificationTimestamp pulled; rFC 3339 timestamp, UTC',
  })
  highWaterMark: string | null;
  @ApiProperty({ type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) createdAt: string;
}

export class MlsSourcePageDto {
  @ApiProperty({ type: [MlsSourceViewDto] }) items: MlsSourceViewDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class MlsSyncRunViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, format: 'uuid' }) sourceId: string;
  @ApiProperty({ enum: ['running', 'succeeded', 'failed'] }) status: string;
  @ApiProperty({ type: Number }) pages: number;
  @ApiProperty({ type: Number }) fetched: number;
  @ApiProperty({ type: Number }) created: number;
  @ApiProperty({ type: Number }) updated: number;
  @ApiProperty({ type: Number }) unchanged: number;
  @ApiProperty({ type: Number }) removed: number;
  @ApiProperty({ type: Number }) failed: number;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } }) errors: unknown[];
  @ApiProperty({ type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) startedAt: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) finishedAt: string | null;
  @ApiProperty({ nullable: true, type: Number }) durationMs: number | null;
}

export class MlsSyncRunPageDto {
  @ApiProperty({ type: [MlsSyncRunViewDto] }) items: MlsSyncRunViewDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class MlsWebhookResultDto {
  @ApiProperty({ type: Number }) received: number;
  @ApiProperty({ type: Number }) created: number;
  @ApiProperty({ type: Number }) updated: number;
  @ApiProperty({ type: Number }) unchanged: number;
  @ApiProperty({ type: Number }) removed: number;
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: '{ index, listingKey, reasons[] } of each refused record',
  })
  failed: unknown[];
}
