import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CRM_CONTACT_SCORES, CRM_CONTACT_STATUSES, CRM_CONTACT_TYPES, CRM_LEAD_SOURCES } from '@keyhouse/contracts';

export class ScoreReasonDto {
  @ApiProperty({ example: 'recent_activity' }) signal: string;
  @ApiProperty() points: number;
  @ApiProperty() detail: string;
}

/** A tag on a contact: its definition (`/v1/tags`) as it stands now. */
export class ContactTagDetailDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ type: String, example: '#22c55e', description: '#rrggbb' }) colour: string;
  @ApiProperty({ type: String, enum: ['org', 'personal'] }) scope: 'org' | 'personal';
}

/** Contract fields first (id, firstName, lastName, email, phone, type, status, score, ownerId, source, tags, createdAt). */
export class ContactViewDto {
  @ApiProperty() id: string;
  @ApiProperty() orgId: string;
  @ApiProperty({ nullable: true }) firstName: string | null;
  @ApiProperty({ nullable: true }) lastName: string | null;
  @ApiProperty({ nullable: true, description: 'Primary email, lower-cased' }) email: string | null;
  @ApiProperty({ nullable: true, description: 'Primary phone, E.164' }) phone: string | null;
  @ApiProperty({ type: [String] }) emails: string[];
  @ApiProperty({ type: [String] }) phones: string[];
  @ApiProperty({ enum: CRM_CONTACT_TYPES, nullable: true }) type: string | null;
  @ApiProperty({ enum: CRM_CONTACT_STATUSES }) status: string;
  @ApiProperty({ enum: CRM_CONTACT_SCORES }) score: string;
  @ApiProperty({ type: [ScoreReasonDto] }) scoreReasons: ScoreReasonDto[];
  @ApiProperty({ enum: CRM_CONTACT_SCORES, nullable: true }) scoreOverride: string | null;
  @ApiProperty({ nullable: true }) ownerId: string | null;
  @ApiProperty({ nullable: true }) pondId: string | null;
  @ApiProperty({ enum: CRM_LEAD_SOURCES, nullable: true }) source: string | null;
  @ApiPropertyOptional({ nullable: true, description: '{ type: contact|agent|partner, id, name }' }) referrer: object | null;
  @ApiProperty({ type: [String], description: 'Names of the contact’s tags (tag definitions, /v1/tags), in the order they were added' }) tags: string[];
  @ApiPropertyOptional({ type: [ContactTagDetailDto], description: 'The same tags with their definition' }) tagDetails?: ContactTagDetailDto[];
  @ApiProperty({ description: 'Price range in cents, ZIP codes, areas, beds, baths, property types, pre-approval' }) preferences: object;
  @ApiProperty({ description: '{ street, city, state, postalCode }' }) address: object;
  @ApiProperty({ nullable: true }) companyId: string | null;
  @ApiProperty({ nullable: true }) lastContactedAt: string | null;
  @ApiProperty({ description: 'Per channel (email, sms, call): { granted, source, at }' }) consent: object;
  @ApiProperty() doNotContact: boolean;
  @ApiProperty() customFields: object;
  @ApiProperty({ description: '{ ruleId, reason, assignedAt }' }) assignment: object;
  @ApiProperty({ nullable: true }) mergedIntoId: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class ContactPageDto {
  @ApiProperty({ type: [ContactViewDto] }) items: ContactViewDto[];
  @ApiProperty({ nullable: true }) nextCursor: string | null;
}
