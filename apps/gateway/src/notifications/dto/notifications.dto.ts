import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsISO8601, IsOptional, IsUUID, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../users/dto/users.dto';

const TYPE = /^[a-z][a-z0-9_]*$/;
/** A UUID, or an ISO 8601 date-time with a zone (`2026-12-07T23:00:00Z`, `...+01:00`). */
const AFTER =
  /^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))$/;
const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

/** Channels and delivery statuses as the history filters name them (`NotificationChannel`, `NotificationDeliveryStatus`). */
export const NOTIFICATION_CHANNELS = ['in_app', 'email', 'sms', 'push'] as const;
export const NOTIFICATION_DELIVERY_STATUSES = ['queued', 'unknown', 'sent', 'delivered', 'opened', 'bounced', 'failed', 'blocked'] as const;

/** `GET /v1/notifications`. */
export class NotificationListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: Boolean, description: 'Only unread notifications' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  unread?: boolean;

  @ApiPropertyOptional({ example: 'lead_assigned', description: 'One notification type' })
  @IsOptional()
  @Matches(TYPE, { message: 'type must be a notification type such as lead_assigned' })
  @MaxLength(100)
  type?: string;

  @ApiPropertyOptional({
    example: '01939a4e-6c1f-7b2a-9a51-3f0c2d7e8b10',
    description:
      'Catch-up after a realtime disconnect: only notifications newer than this one (the id of one of your notifications: ' +
      'strictly after it in (createdAt, id) order; ids are UUIDv7) or than this ISO 8601 date-time (created strictly after it). ' +
      'Newest first like the rest of the list; page with `cursor` keeping `after`. An id that is not yours: 400 INVALID_CURSOR.',
  })
  @IsOptional()
  @Matches(AFTER, { message: 'after must be a notification id (UUID) or an ISO 8601 date-time' })
  after?: string;
}

/** `GET /v1/notifications/history`. */
export class NotificationHistoryQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'lead_assigned' })
  @IsOptional()
  @Matches(TYPE, { message: 'type must be a notification type such as lead_assigned' })
  @MaxLength(100)
  type?: string;

  @ApiPropertyOptional({ enum: NOTIFICATION_CHANNELS, description: 'Notifications with a delivery on this channel' })
  @IsOptional()
  @IsIn(NOTIFICATION_CHANNELS)
  channel?: (typeof NOTIFICATION_CHANNELS)[number];

  @ApiPropertyOptional({ enum: NOTIFICATION_DELIVERY_STATUSES, description: 'Notifications with a delivery in this status' })
  @IsOptional()
  @IsIn(NOTIFICATION_DELIVERY_STATUSES)
  status?: (typeof NOTIFICATION_DELIVERY_STATUSES)[number];

  @ApiPropertyOptional({ format: 'uuid', description: 'Recipient user id' })
  @IsOptional()
  @IsUUID()
  recipientId?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Created at or after' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Created before' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

/** One in-app notification (`NotificationView`). */
export class NotificationViewDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'lead_assigned' }) type: string;
  @ApiProperty() title: string;
  @ApiProperty() body: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Ids it is about (contactId, taskId, ...)' })
  data: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: String, description: 'Path in the web app, e.g. /contacts/<id>' }) link: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) readAt: string | null;
}

export class NotificationPageDto {
  @ApiProperty({ type: [NotificationViewDto] }) items: NotificationViewDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class NotificationUnreadCountDto {
  @ApiProperty() count: number;
}

export class NotificationMarkAllReadDto {
  @ApiProperty({ description: 'Notifications that were unread and are now read' }) updated: number;
}

/** One channel delivery (`NotificationDeliveryView`). */
export class NotificationDeliveryViewDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: NOTIFICATION_CHANNELS }) channel: string;
  @ApiProperty({ enum: NOTIFICATION_DELIVERY_STATUSES }) status: string;
  @ApiProperty({ nullable: true, type: String, description: 'SUPPRESSED, NO_ADDRESS, PROVIDER_REJECTED, ...' }) reason: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'SendGrid X-Message-Id' }) providerMessageId: string | null;
  @ApiProperty({ nullable: true, type: String }) to: string | null;
  @ApiProperty() attempts: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

/** A notification with its recipient and deliveries (`NotificationHistoryView`). */
export class NotificationHistoryViewDto extends NotificationViewDto {
  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'The user it is for; null for a notification to a crm contact',
  })
  recipientUserId: string | null;
  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    required: false,
    description: 'The crm contact it is for (email / SMS only)',
  })
  recipientContactId?: string | null;
  @ApiProperty({ nullable: true, type: String }) sourceEventId: string | null;
  @ApiProperty({ type: [NotificationDeliveryViewDto] }) deliveries: NotificationDeliveryViewDto[];
}

export class NotificationHistoryPageDto {
  @ApiProperty({ type: [NotificationHistoryViewDto] }) items: NotificationHistoryViewDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

/** What the SendGrid webhook answers (`SendgridWebhookResponse`). */
export class SendgridWebhookResultDto {
  @ApiProperty({ description: 'Events in the batch' }) received: number;
  @ApiProperty({ description: 'Events stored now (a redelivered sg_event_id is not stored again)' }) stored: number;
}
