import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  CRM_ASSIGNMENT_STRATEGIES,
  CRM_CUSTOM_FIELD_TYPES,
  type CrmAssignmentRecord,
  type CrmAssignmentRuleView,
  type CrmBulkResult,
  type CrmContactAssignmentView,
  type CrmContactDataExport,
  type CrmContactNoteView,
  type CrmContactView,
  type CrmCustomFieldView,
  type CrmFairnessLedgerEntry,
  type CrmImportResult,
  type CrmPondView,
  type CrmSmartListView,
  type CrmTimelineEntry,
} from '@keyhouse/contracts';
import { AssignmentConditionsDto } from './assignment.dto';
import { SmartListFiltersDto } from './smart-lists.dto';
import { ContactViewDto } from './views.dto';

/**
 * Response bodies of the crm contacts, assignment and smart-list routes, for the OpenAPI document
 * (`@ApiOkResponse({ type })`). The crm service builds the bodies; the checks at the end keep each
 * class's keys in step with its contract view at compile time.
 */

const ASSIGNMENT_RECORD_STRATEGIES = [...CRM_ASSIGNMENT_STRATEGIES, 'manual', 'claim'];

export class AssignmentRuleViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ type: 'integer', description: 'Lower runs first' }) priority: number;
  @ApiProperty({ type: AssignmentConditionsDto }) conditions: AssignmentConditionsDto;
  @ApiProperty({ type: String, enum: CRM_ASSIGNMENT_STRATEGIES }) strategy: CrmAssignmentRuleView['strategy'];
  @ApiProperty({ type: [String], format: 'uuid' }) agentIds: string[];
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) pondId: string | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Speed-to-lead deadline in minutes' }) responseDeadlineMinutes:
    number | null;
  @ApiProperty({ type: Boolean }) active: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: string;
}

export class FairnessLedgerEntryDto {
  @ApiProperty({ type: String, format: 'uuid' }) agentId: string;
  @ApiProperty({ type: 'integer', description: 'Assignments (or claims) this agent received from the pool' }) assigned: number;
  @ApiProperty({ type: 'integer', description: 'Share of the pool’s assignments, basis points (10,000 = 100 %)' }) shareBps: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastAssignedAt: string | null;
}

export class PondViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ type: [String], format: 'uuid', description: 'Agents allowed to claim; empty = every agent' }) agentIds: string[];
  @ApiProperty({ type: 'integer', description: 'Leads waiting in the pond' }) unclaimed: number;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
}

export class BulkResultDto {
  @ApiProperty({ type: 'integer', description: 'Contacts named in the request' }) matched: number;
  @ApiProperty({ type: 'integer', description: 'Contacts whose state actually changed' }) updated: number;
}

export class ImportRejectionDto {
  @ApiProperty({ type: 'integer', description: 'Line of the CSV file (the header is line 1)' }) row: number;
  @ApiProperty({ type: String }) reason: string;
  @ApiPropertyOptional({ type: String, description: 'The field at fault, when one is' }) field?: string;
}

export class ImportResultDto {
  @ApiProperty({ type: 'integer' }) created: number;
  @ApiProperty({ type: 'integer', description: 'Rows merged into an existing contact' }) merged: number;
  @ApiProperty({ type: [ImportRejectionDto] }) rejected: ImportRejectionDto[];
}

export class AssignmentRecordDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) agentId: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) pondId: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) ruleId: string | null;
  @ApiProperty({ type: String, enum: ASSIGNMENT_RECORD_STRATEGIES }) strategy: CrmAssignmentRecord['strategy'];
  @ApiProperty({ type: String }) reason: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The user who assigned by hand; null for routing' })
  assignedBy: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) assignedAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) endedAt: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'reassigned' }) endReason: string | null;
}

export class ContactAssignmentViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) contactId: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) ownerId: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) pondId: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) ruleId: string | null;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Speed-to-lead deadline of the current assignment' })
  respondBy: string | null;
  @ApiProperty({ type: [AssignmentRecordDto], description: 'Newest first, at most 100' }) history: AssignmentRecordDto[];
}

export class TimelineEntryDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, format: 'uuid' }) contactId: string;
  @ApiProperty({
    type: String,
    example: 'contact.status_changed',
    description:
      'contact.created, contact.updated, contact.status_changed, contact.assigned, note.added, form.submitted, lead.event, contact.merged, and other services’ activity',
  })
  kind: string;
  @ApiProperty({ type: String, format: 'date-time' }) occurredAt: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) actorId: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Depends on kind (docs/events/crm-events.md)' }) data: Record<
    string,
    unknown
  >;
}

export class TimelinePageDto {
  @ApiProperty({ type: [TimelineEntryDto] }) items: TimelineEntryDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class ContactNoteViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, format: 'uuid' }) contactId: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) authorId: string | null;
  @ApiProperty({ type: String }) body: string;
  @ApiProperty({ type: Boolean }) pinned: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: string;
}

export class CustomFieldViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, example: 'moving_date' }) key: string;
  @ApiProperty({ type: String }) label: string;
  @ApiProperty({ type: String, enum: CRM_CUSTOM_FIELD_TYPES, description: 'date values are YYYY-MM-DD' }) type: CrmCustomFieldView['type'];
  @ApiProperty({ type: [String], description: 'Allowed values of a select field' }) options: string[];
  @ApiProperty({ type: Boolean }) required: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
}

export class SmartListViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ type: String, format: 'uuid' }) ownerId: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Shared with this team; null = personal' }) teamId:
    string | null;
  @ApiProperty({ type: SmartListFiltersDto, description: 'tag shows the current names of the tags the list was saved with' })
  filters: SmartListFiltersDto;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: string;
}

export class FormSubmissionExportDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, example: 'home_valuation' }) formType: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The answers as submitted' }) answers: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'utm_source, utm_medium, ...' }) utm: Record<string, unknown>;
  @ApiProperty({ type: String, nullable: true }) source: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Consent flags as submitted' }) consent: Record<string, unknown>;
  @ApiProperty({ type: String, format: 'date-time' }) receivedAt: string;
}

export class LeadEventExportDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String }) source: string;
  @ApiProperty({ type: String }) externalId: string;
  @ApiProperty({ type: String }) type: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The event as received' }) payload: unknown;
  @ApiProperty({ type: String, format: 'date-time' }) occurredAt: string;
}

/** Everything the crm service holds about one person (GDPR art. 15 / CCPA export). */
export class ContactDataExportDto {
  @ApiProperty({ type: String, format: 'date-time' }) exportedAt: string;
  @ApiProperty({ type: ContactViewDto }) contact: ContactViewDto;
  @ApiProperty({ type: [ContactViewDto], description: 'Earlier records of the same person merged into this one' })
  mergedContacts: ContactViewDto[];
  @ApiProperty({ type: [ContactNoteViewDto] }) notes: ContactNoteViewDto[];
  @ApiProperty({ type: [TimelineEntryDto] }) timeline: TimelineEntryDto[];
  @ApiProperty({ type: [FormSubmissionExportDto] }) formSubmissions: FormSubmissionExportDto[];
  @ApiProperty({ type: [LeadEventExportDto] }) leadEvents: LeadEventExportDto[];
  @ApiProperty({ type: [AssignmentRecordDto] }) assignments: AssignmentRecordDto[];
}

type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : never;
export const CRM_RESPONSE_DTOS_MATCH_CONTRACTS = [
  true satisfies SameKeys<ContactViewDto, CrmContactView>,
  true satisfies SameKeys<AssignmentRuleViewDto, CrmAssignmentRuleView>,
  true satisfies SameKeys<FairnessLedgerEntryDto, CrmFairnessLedgerEntry>,
  true satisfies SameKeys<PondViewDto, CrmPondView>,
  true satisfies SameKeys<BulkResultDto, CrmBulkResult>,
  true satisfies SameKeys<ImportResultDto, CrmImportResult>,
  true satisfies SameKeys<ImportRejectionDto, CrmImportResult['rejected'][number]>,
  true satisfies SameKeys<AssignmentRecordDto, CrmAssignmentRecord>,
  true satisfies SameKeys<ContactAssignmentViewDto, CrmContactAssignmentView>,
  true satisfies SameKeys<TimelineEntryDto, CrmTimelineEntry>,
  true satisfies SameKeys<ContactNoteViewDto, CrmContactNoteView>,
  true satisfies SameKeys<CustomFieldViewDto, CrmCustomFieldView>,
  true satisfies SameKeys<SmartListViewDto, CrmSmartListView>,
  true satisfies SameKeys<FormSubmissionExportDto, CrmContactDataExport['formSubmissions'][number]>,
  true satisfies SameKeys<LeadEventExportDto, CrmContactDataExport['leadEvents'][number]>,
  true satisfies SameKeys<ContactDataExportDto, CrmContactDataExport>,
];
