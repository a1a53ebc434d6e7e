import { ApiProperty } from '@nestjs/swagger';
import { NOTIFICATION_DELIVERY_STATUSES } from '../../notifications/dto/notifications.dto';
import { PageQueryDto } from '../../users/dto/users.dto';

/** `GET /v1/contacts/:id/email-activity` query: the keyset page (`cursor`, `limit`). */
export class ContactEmailActivityQueryDto extends PageQueryDto {}

/** One entry of a contact's email activity (`ContactEmailActivityView`). */
export class ContactEmailActivityViewDto {
  @ApiProperty({ format: 'uuid', description: 'The delivery id (kind send) or the stored SendGrid event id' }) id: string;
  @ApiProperty({
    example: 'open',
    description:
      'send (an email to the contact, with its status and reason), or a SendGrid event: processed, delivered, open, click, bounce, dropped, deferred, spamreport, unsubscribe, ...',
  })
  kind: string;
  @ApiProperty({ format: 'date-time' }) occurredAt: string;
  @ApiProperty({ format: 'uuid' }) notificationId: string;
  @ApiProperty({ format: 'uuid' }) deliveryId: string;
  @ApiProperty({ example: 'saved_search_match' }) notificationType: string;
  @ApiProperty({ description: 'Email subject' }) subject: string;
  @ApiProperty({ nullable: true, type: String }) email: string | null;
  @ApiProperty({ nullable: true, type: String, enum: NOTIFICATION_DELIVERY_STATUSES, description: 'Delivery status (kind send)' })
  status: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'CONSENT_MISSING, DO_NOT_CONTACT, SUPPRESSED, ... or SendGrid’s reason' })
  reason: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The clicked URL (kind click)' }) url: string | null;
}

export class ContactEmailActivityPageDto {
  @ApiProperty({ type: [ContactEmailActivityViewDto] }) items: ContactEmailActivityViewDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
