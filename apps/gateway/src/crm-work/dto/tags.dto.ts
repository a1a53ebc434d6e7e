import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { CRM_TAG_SCOPES, type CrmTagScope } from '@keyhouse/contracts';
import { PageQueryDto } from '../../users/dto/users.dto';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const COLOUR = /^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const COLOUR_MESSAGE = 'colour must be a hex colour such as #1f8a70';

export class CreateTagDto {
  @ApiProperty({ type: String, maxLength: 50, example: 'Pre-approved' })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(50)
  @Matches(/^[^,]+$/, { message: 'name cannot contain a comma' })
  name: string;
  @ApiProperty({ type: String, example: '#1f8a70', description: '#rgb or #rrggbb; answered as #rrggbb' })
  @Matches(COLOUR, { message: COLOUR_MESSAGE })
  colour: string;
  @ApiPropertyOptional({
    type: String,
    enum: CRM_TAG_SCOPES,
    default: 'personal',
    description: 'org tags need contacts:write at org scope (admins)',
  })
  @IsOptional()
  @IsIn([...CRM_TAG_SCOPES])
  scope?: CrmTagScope;
}

/** `PATCH` of a tag: name and colour as in {@link CreateTagDto}, each optional; the scope is fixed. */
export class UpdateTagDto extends PartialType(OmitType(CreateTagDto, ['scope'] as const)) {}

export class ListTagsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: String, enum: CRM_TAG_SCOPES }) @IsOptional() @IsIn([...CRM_TAG_SCOPES]) scope?: CrmTagScope;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(50) q?: string;
}

export class TagViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ type: String, example: '#1f8a70' }) colour: string;
  @ApiProperty({ type: String, enum: CRM_TAG_SCOPES }) scope: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Owner of a personal tag' }) ownerId: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: string;
}

export class TagPageDto {
  @ApiProperty({ type: [TagViewDto] }) items: TagViewDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
