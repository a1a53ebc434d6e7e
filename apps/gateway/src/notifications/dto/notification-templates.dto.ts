import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsString, Matches, ValidateIf } from 'class-validator';

/** `PUT /v1/notification-templates/:type`. */
export class NotificationTemplateUpdateDto {
  @ApiProperty({
    type: String,
    nullable: true,
    pattern: '^d-[0-9a-fA-F]{32}$',
    example: 'd-0123456789abcdef0123456789abcdef',
    description:
      'The organization’s SendGrid dynamic template id for this type (d- and 32 hex digits, as SendGrid shows it); null removes it and the built-in default template (with the organization’s branding) is sent',
  })
  @IsDefined({ message: 'sendgridTemplateId is required (null for the built-in default)' })
  @ValidateIf((dto: NotificationTemplateUpdateDto) => dto.sendgridTemplateId !== null)
  @IsString()
  @Matches(/^d-[0-9a-fA-F]{32}$/, { message: 'sendgridTemplateId must be a SendGrid dynamic template id (d- and 32 hex digits) or null' })
  sendgridTemplateId: string | null;
}

/** One email kind as it applies to the caller's organization (`NotificationTemplateView`). */
export class NotificationTemplateViewDto {
  @ApiProperty({ example: 'lead_assigned' }) type: string;
  @ApiProperty({ example: 'New lead assigned to you', description: 'The built-in default subject ({{name}} placeholders)' })
  defaultSubject: string;
  @ApiProperty({ example: 'A lead was assigned to you ({{strategy}}).{{respondByLine}}', description: 'The built-in default body' })
  defaultBody: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'd-0123456789abcdef0123456789abcdef',
    description: 'The organization’s SendGrid dynamic template id; null: the built-in default is sent',
  })
  sendgridTemplateId: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) updatedBy: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) updatedAt: string | null;
}

export class NotificationTemplateListDto {
  @ApiProperty({ type: [NotificationTemplateViewDto] }) items: NotificationTemplateViewDto[];
}
