import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsLatitude,
  IsLongitude,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { LISTINGS_PLACE_CATEGORIES, type ListingsPlaceCategory } from '@keyhouse/contracts';

export class PlaceInputDto {
  @ApiProperty({ type: String, maxLength: 200, example: 'B.F. Day Elementary' }) @IsString() @IsNotEmpty() @MaxLength(200) name: string;
  @ApiProperty({ enum: LISTINGS_PLACE_CATEGORIES }) @IsIn(LISTINGS_PLACE_CATEGORIES) category: ListingsPlaceCategory;
  @ApiProperty({ type: Number, description: 'WGS 84 degrees' }) @IsLatitude() latitude: number;
  @ApiProperty({ type: Number, description: 'WGS 84 degrees' }) @IsLongitude() longitude: number;
}

export class LoadPlacesDto {
  @ApiProperty({ type: [PlaceInputDto], maxItems: 1000 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => PlaceInputDto)
  places: PlaceInputDto[];
}

export class NearbyQueryDto {
  @ApiPropertyOptional({ type: 'integer', default: 1500, minimum: 50, maximum: 10000, description: 'Metres' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(50)
  @Max(10000)
  radius?: number;
  @ApiPropertyOptional({ isArray: true, enum: LISTINGS_PLACE_CATEGORIES, description: 'Comma-separated or repeated' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).filter(Boolean),
  )
  @IsArray()
  @IsIn(LISTINGS_PLACE_CATEGORIES, { each: true })
  category?: ListingsPlaceCategory[];
  @ApiPropertyOptional({ type: 'integer', default: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

export class PlacesLoadResultDto {
  @ApiProperty({ type: Number }) received: number;
  @ApiProperty({ type: Number }) created: number;
  @ApiProperty({ type: Number }) updated: number;
}

export class NearbyPlaceDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ enum: LISTINGS_PLACE_CATEGORIES }) category: string;
  @ApiProperty({ type: Number }) latitude: number;
  @ApiProperty({ type: Number }) longitude: number;
  @ApiProperty({ type: Number, description: 'Metres from the listing' }) distanceMeters: number;
  @ApiProperty({ type: String, example: 'local' }) provider: string;
}

export class NearbyPlacesDto {
  @ApiProperty({ type: [NearbyPlaceDto], description: 'Nearest first' }) items: NearbyPlaceDto[];
}
