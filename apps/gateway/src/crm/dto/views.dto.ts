import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CRM_CONTACT_VIEW_FIELDS, type CrmContactView } from '@keyhouse/contracts';
import { declaredDto } from './contacts.dto';

export class ScoreReasonDto {
  @ApiProperty({ type: String, example: 'recent_activity' }) signal: string;
  @ApiProperty({ type: 'integer' }) points: number;
  @ApiProperty({ type: String }) detail: string;
}

export class ContactReferrerViewDto {
  @ApiProperty({ type: String, enum: ['contact', 'agent', 'partner'] }) type: 'contact' | 'agent' | 'partner';
  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The referring contact or agent (user); absent for partners',
  })
  id?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) name?: string | null;
}

/** What the contact looks for; prices in integer cents. */
export class ContactPreferencesViewDto {
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'Integer cents' }) minPriceCents?: number | null;
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'Integer cents' }) maxPriceCents?: number | null;
  @ApiPropertyOptional({ type: [String], description: 'ZIP codes' }) postalCodes?: string[];
  @ApiPropertyOptional({ type: [String] }) areas?: string[];
  @ApiPropertyOptional({ type: 'integer', nullable: true }) minBeds?: number | null;
  @ApiPropertyOptional({ type: 'integer', nullable: true }) minBaths?: number | null;
  @ApiPropertyOptional({ type: [String] }) propertyTypes?: string[];
  @ApiPropertyOptional({ type: Boolean, nullable: true }) preApproved?: boolean | null;
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'Integer cents' }) preApprovedAmountCents?: number | null;
}

export class ContactAddressViewDto {
  @ApiProperty({ type: String, nullable: true }) street: string | null;
  @ApiProperty({ type: String, nullable: true }) city: string | null;
  @ApiProperty({ type: String, nullable: true }) state: string | null;
  @ApiProperty({ type: String, nullable: true, example: '98103' }) postalCode: string | null;
}

/** One channel's consent decision. */
export class ConsentRecordDto {
  @ApiProperty({ type: Boolean }) granted: boolean;
  @ApiProperty({ type: String, example: 'web_form', description: 'Where it was given or withdrawn' }) source: string;
  @ApiProperty({ type: String, format: 'date-time', description: 'When (UTC)' }) at: string;
}

export class ContactConsentViewDto {
  @ApiPropertyOptional({ type: ConsentRecordDto }) email?: ConsentRecordDto;
  @ApiPropertyOptional({ type: ConsentRecordDto }) sms?: ConsentRecordDto;
  @ApiPropertyOptional({ type: ConsentRecordDto }) call?: ConsentRecordDto;
}

/** How the current owner (or pond) got the contact. */
export class ContactAssignmentSummaryDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The assignment rule, when a rule assigned it' }) ruleId:
    string | null;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) assignedAt: string | null;
}

/** A tag on a contact: its definition (`/v1/tags`) as it stands now. */
export class ContactTagDetailDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ type: String, example: '#22c55e', description: '#rrggbb' }) colour: string;
  @ApiProperty({ type: String, enum: ['org', 'personal'] }) scope: 'org' | 'personal';
}

/**
 * A contact in answers: declared once, by `CRM_CONTACT_VIEW_FIELDS` of the contracts (Contract fields
 * first: id, firstName, lastName, email, phone, type, status, score, ownerId, source, tags, createdAt).
 */
export class ContactViewDto extends declaredDto<CrmContactView>('ContactViewBaseDto', 'view', CRM_CONTACT_VIEW_FIELDS, {
  scoreReason: ScoreReasonDto,
  referrer: ContactReferrerViewDto,
  tagDetail: ContactTagDetailDto,
  preferences: ContactPreferencesViewDto,
  address: ContactAddressViewDto,
  consent: ContactConsentViewDto,
  assignment: ContactAssignmentSummaryDto,
}) {}

export class ContactPageDto {
  @ApiProperty({ type: [ContactViewDto] }) items: ContactViewDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
