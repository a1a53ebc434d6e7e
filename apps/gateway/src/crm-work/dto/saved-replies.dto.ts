import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { CRM_SAVED_REPLY_CHANNELS, CRM_SAVED_REPLY_PLACEHOLDERS, type CrmSavedReplyChannel } from '@keyhouse/contracts';
import { PageQueryDto } from '../../users/dto/users.dto';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const PLACEHOLDERS = `Placeholders: ${CRM_SAVED_REPLY_PLACEHOLDERS.map((name) => `{{${name}}}`).join(', ')}`;

export class CreateSavedReplyDto {
  @ApiProperty({ type: String, maxLength: 100, example: 'First contact' })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name: string;
  @ApiPropertyOptional({ type: String, enum: CRM_SAVED_REPLY_CHANNELS, default: 'any' })
  @IsOptional()
  @IsIn([...CRM_SAVED_REPLY_CHANNELS])
  channel?: CrmSavedReplyChannel;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 300, description: `Email subject. ${PLACEHOLDERS}` })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  subject?: string | null;
  @ApiProperty({ type: String, maxLength: 10000, example: 'Hi {{contact.firstName}}, this is {{agent.name}}.', description: PLACEHOLDERS })
  @IsString()
  @IsNotEmpty()
  @MaxLength(10000)
  body: string;
}

/**
 * `PATCH` of a saved reply: the fields of {@link CreateSavedReplyDto}, each optional. `channel` is
 * declared again because the create default (any) does not apply to a change.
 */
export class UpdateSavedReplyDto extends PartialType(OmitType(CreateSavedReplyDto, ['channel'] as const)) {
  @ApiPropertyOptional({ type: String, enum: CRM_SAVED_REPLY_CHANNELS })
  @IsOptional()
  @IsIn([...CRM_SAVED_REPLY_CHANNELS])
  channel?: CrmSavedReplyChannel;
}

export class ListSavedRepliesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: String, description: 'Part of the name or body' }) @IsOptional() @IsString() @MaxLength(100) q?: string;
  @ApiPropertyOptional({ type: String, enum: CRM_SAVED_REPLY_CHANNELS })
  @IsOptional()
  @IsIn([...CRM_SAVED_REPLY_CHANNELS])
  channel?: CrmSavedReplyChannel;
}

export class RenderSavedReplyDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { 'contact.firstName': 'Ann' },
    description: 'Placeholder name → text (at most 2000 characters each)',
  })
  @IsOptional()
  @IsObject()
  values?: Record<string, string>;
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'Fill contact.* from this contact' })
  @IsOptional()
  @IsUUID()
  contactId?: string;
}

export class SavedReplyViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ type: String, enum: CRM_SAVED_REPLY_CHANNELS }) channel: string;
  @ApiProperty({ type: String, nullable: true }) subject: string | null;
  @ApiProperty({ type: String }) body: string;
  @ApiProperty({ type: [String] }) placeholders: string[];
  @ApiProperty({ type: [String], description: 'Placeholders used that are not in the catalogue' }) unknownPlaceholders: string[];
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: string;
}

export class SavedReplyPageDto {
  @ApiProperty({ type: [SavedReplyViewDto] }) items: SavedReplyViewDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class RenderedSavedReplyDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, nullable: true }) subject: string | null;
  @ApiProperty({ type: String }) body: string;
  @ApiProperty({ type: [String], description: 'Left as written' }) unknownPlaceholders: string[];
  @ApiProperty({ type: [String], description: 'Known placeholders without a value (rendered empty)' }) missingValues: string[];
}
