import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../../users/dto/users.dto';

const COLOR = /^#[0-9a-fA-F]{6}$/;

export class BrandingDto {
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200 }) @IsOptional() @IsString() @MaxLength(200) displayName?:
    string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'https://cdn.example/logo.png' })
  @IsOptional()
  @IsUrl({ protocols: ['https'], require_protocol: true }, { message: 'logoUrl must be an https URL' })
  @MaxLength(2048)
  logoUrl?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: '#1F6F50' })
  @IsOptional()
  @Matches(COLOR, { message: 'primaryColor must be #RRGGBB' })
  primaryColor?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: '#F2C14E' })
  @IsOptional()
  @Matches(COLOR, { message: 'secondaryColor must be #RRGGBB' })
  secondaryColor?: string | null;
}

export class UpdateOrganizationDto {
  @ApiPropertyOptional({ type: String, maxLength: 200 }) @IsOptional() @IsString() @IsNotEmpty() @MaxLength(200) name?: string;
  @ApiPropertyOptional({ type: BrandingDto }) @IsOptional() @ValidateNested() @Type(() => BrandingDto) branding?: BrandingDto;
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 10000, description: 'Affiliate rate in basis points (250 = 2.5 %)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10000)
  affiliateRateBps?: number;
  @ApiPropertyOptional({ type: [String], example: ['owner', 'admin'], description: 'Roles that must use 2FA' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(4)
  @IsIn(['owner', 'admin', 'manager', 'agent'], { each: true })
  mfaRequiredRoles?: string[];
  @ApiPropertyOptional({ type: 'integer', minimum: 15, maximum: 525600, description: 'Absolute session lifetime in minutes' })
  @IsOptional()
  @IsInt()
  @Min(15)
  @Max(525600)
  sessionLifetimeMinutes?: number;
  @ApiPropertyOptional({ type: Boolean, description: 'Replace the public form key (old forms stop working)' })
  @IsOptional()
  @IsBoolean()
  rotatePublicFormKey?: boolean;
}

export class OrganizationViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ type: BrandingDto }) branding: BrandingDto;
  @ApiProperty({ type: Number, description: 'Basis points' }) affiliateRateBps: number;
  @ApiProperty({ type: [String] }) mfaRequiredRoles: string[];
  @ApiProperty({ type: Number, description: 'Minutes' }) sessionLifetimeMinutes: number;
  @ApiProperty({ type: String }) publicFormKey: string;
  @ApiProperty({ type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) updatedAt: string;
}

export class CreateApiKeyDto {
  @ApiProperty({ type: String, example: 'Website lead form' }) @IsString() @IsNotEmpty() @MaxLength(120) name: string;
  @ApiProperty({ type: [String], example: ['leads:write:org'], description: 'Permissions (resource:action:scope)' })
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(80, { each: true })
  scopes: string[];
}

export class ApiKeyViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ type: String, description: 'First characters of the key' }) prefix: string;
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty({ type: String, format: 'uuid' }) createdBy: string;
  @ApiProperty({ type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) createdAt: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) lastUsedAt: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) revokedAt: string | null;
}

export class CreatedApiKeyDto extends ApiKeyViewDto {
  @ApiProperty({ type: String, description: 'The key; shown only in this response. Send it as X-Api-Key.' }) key: string;
}

export class ApiKeyPageDto {
  @ApiProperty({ type: [ApiKeyViewDto] }) items: ApiKeyViewDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class LocalMailboxQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: String, description: 'Only messages to this address' }) @IsOptional() @IsEmail() to?: string;
}

export class LocalMailDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String }) to: string;
  @ApiProperty({ type: String }) subject: string;
  @ApiProperty({ type: String }) text: string;
  @ApiProperty({ enum: ['password_reset', 'email_verification', 'invitation', 'login_unlock', 'security_notice'] }) template: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Values carried by the message, e.g. `reason` of a security notice; a token or link reads `[redacted]`',
  })
  variables: Record<string, string>;
  @ApiProperty({ type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) createdAt: string;
}

export class LocalMailPageDto {
  @ApiProperty({ type: [LocalMailDto] }) items: LocalMailDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
