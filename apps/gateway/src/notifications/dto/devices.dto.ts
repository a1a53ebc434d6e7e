import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

const PLATFORMS = ['ios', 'android', 'web'] as const;

/** `POST /v1/devices`. */
export class PushDeviceRegisterDto {
  @ApiProperty({ description: 'FCM registration token of the app install' })
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  token: string;

  @ApiProperty({ enum: PLATFORMS })
  @IsIn(PLATFORMS)
  platform: (typeof PLATFORMS)[number];

  @ApiPropertyOptional({ type: String, nullable: true, example: 'Ava’s iPhone' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  name?: string | null;
}

/** `PushDeviceView` (the token is not returned). */
export class PushDeviceViewDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: PLATFORMS }) platform: string;
  @ApiProperty({ type: String, nullable: true }) name: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class PushDevicePageDto {
  @ApiProperty({ type: [PushDeviceViewDto] }) items: PushDeviceViewDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
