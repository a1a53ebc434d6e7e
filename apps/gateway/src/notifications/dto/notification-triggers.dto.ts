import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsOptional, ValidateIf } from 'class-validator';
import type { NotificationChannel } from '@keyhouse/contracts';
import { NOTIFICATION_CHANNELS } from './notifications.dto';

/** `PATCH /v1/notification-triggers/:type`. */
export class NotificationTriggerUpdateDto {
  @ApiProperty({ description: 'On (true) or off (false) for the organization: a trigger switched off creates no notification' })
  @IsBoolean()
  enabled: boolean;

  @ApiPropertyOptional({
    type: [String],
    enum: NOTIFICATION_CHANNELS,
    nullable: true,
    description:
      'The organization’s channels for this trigger, each once; null goes back to the default channels; absent leaves them as they are',
  })
  @IsOptional()
  @ValidateIf((dto: NotificationTriggerUpdateDto) => dto.channels !== null)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(NOTIFICATION_CHANNELS.length)
  @ArrayUnique()
  @IsIn(NOTIFICATION_CHANNELS, { each: true })
  channels?: NotificationChannel[] | null;
}

/** The built-in default template of a trigger. */
export class NotificationTriggerTemplateDto {
  @ApiProperty({ example: 'New lead assigned to you' }) title: string;
  @ApiProperty({ example: 'A lead was assigned to you ({{strategy}}).{{respondByLine}}' }) body: string;
  @ApiProperty({ example: 'Open the lead' }) action: string;
}

/** One built-in trigger as it applies to the caller's organization (`NotificationTriggerView`). */
export class NotificationTriggerViewDto {
  @ApiProperty({ example: 'lead_assigned' }) type: string;
  @ApiProperty({ type: [String], example: ['crm.contact.assigned'] }) events: string[];
  @ApiProperty({ description: 'Who receives it, in words' }) recipients: string;
  @ApiProperty({ type: [String], enum: NOTIFICATION_CHANNELS }) defaultChannels: NotificationChannel[];
  @ApiProperty({
    type: [String],
    enum: NOTIFICATION_CHANNELS,
    nullable: true,
    description: 'The organization’s channels; null: the defaults',
  })
  channels: NotificationChannel[] | null;
  @ApiProperty({ type: NotificationTriggerTemplateDto }) template: NotificationTriggerTemplateDto;
  @ApiProperty() enabled: boolean;
  @ApiProperty() enabledByDefault: boolean;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) updatedBy: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) updatedAt: string | null;
}

export class NotificationTriggerListDto {
  @ApiProperty({ type: [NotificationTriggerViewDto] }) items: NotificationTriggerViewDto[];
}
