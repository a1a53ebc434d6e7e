import { Controller } from '@nestjs/common';
import {
  CrmContactSubjects as S,
  type CrmAssignmentRuleInput,
  type CrmAssignmentRuleUpdateRequest,
  type CrmBulkAssignRequest,
  type CrmBulkStatusRequest,
  type CrmBulkTagsRequest,
  type CrmContactAssignRequest,
  type CrmContactCreateRequest,
  type CrmContactListRequest,
  type CrmContactMergeRequest,
  type CrmContactNoteCreateRequest,
  type CrmContactNoteUpdateRequest,
  type CrmContactUpdateRequest,
  type CrmCustomFieldCreateRequest,
  type CrmCustomFieldUpdateRequest,
  type CrmImportRowsRequest,
  type CrmLeadEventRequest,
  type CrmPondClaimRequest,
  type CrmPondCreateRequest,
  type CrmPondUpdateRequest,
  type CrmContactsByCompanyRequest,
  type CrmPublicLeadRequest,
  type PageQuery,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { AssignmentRulesService } from '../assignment/assignment-rules.service';
import { IntakeService } from '../intake/intake.service';
import { TimelineService } from '../timeline/timeline.service';
import { ContactImportService } from './contact-import.service';
import { ContactNotesService } from './contact-notes.service';
import { ContactPrivacyService } from './contact-privacy.service';
import { ContactsService } from './contacts.service';
import { CustomFieldsService } from './custom-fields.service';

/** NATS responders for contacts, notes, custom fields, intake, assignment rules and ponds. */
@Controller()
export class ContactsRpcController {
  constructor(
    private readonly contacts: ContactsService,
    private readonly notes: ContactNotesService,
    private readonly fields: CustomFieldsService,
    private readonly timeline: TimelineService,
    private readonly intake: IntakeService,
    private readonly rules: AssignmentRulesService,
    private readonly privacy: ContactPrivacyService,
    private readonly imports: ContactImportService,
  ) {}

  @RpcHandler(S.create)
  create(envelope: RequestEnvelope<CrmContactCreateRequest>) {
    return this.contacts.create(envelope);
  }

  @RpcHandler(S.list)
  list(envelope: RequestEnvelope<CrmContactListRequest>) {
    return this.contacts.list(envelope);
  }

  @RpcHandler(S.listByCompany)
  listByCompany(envelope: RequestEnvelope<CrmContactsByCompanyRequest>) {
    return this.contacts.listByCompany(envelope);
  }

  @RpcHandler(S.get)
  get(envelope: RequestEnvelope<{ id: string }>) {
    return this.contacts.get(envelope);
  }

  @RpcHandler(S.update)
  update(envelope: RequestEnvelope<CrmContactUpdateRequest>) {
    return this.contacts.update(envelope);
  }

  @RpcHandler(S.delete)
  delete(envelope: RequestEnvelope<{ id: string }>) {
    return this.contacts.delete(envelope);
  }

  @RpcHandler(S.merge)
  merge(envelope: RequestEnvelope<CrmContactMergeRequest>) {
    return this.contacts.merge(envelope);
  }

  @RpcHandler(S.assign)
  assign(envelope: RequestEnvelope<CrmContactAssignRequest>) {
    return this.contacts.assign(envelope);
  }

  @RpcHandler(S.assignmentGet)
  assignmentGet(envelope: RequestEnvelope<{ id: string }>) {
    return this.contacts.assignment(envelope);
  }

  @RpcHandler(S.timeline)
  timelineList(envelope: RequestEnvelope<PageQuery & { id: string }>) {
    return this.timeline.list(envelope);
  }

  @RpcHandler(S.bulkStatus)
  bulkStatus(envelope: RequestEnvelope<CrmBulkStatusRequest>) {
    return this.contacts.bulkStatus(envelope);
  }

  @RpcHandler(S.bulkAssign)
  bulkAssign(envelope: RequestEnvelope<CrmBulkAssignRequest>) {
    return this.contacts.bulkAssign(envelope);
  }

  @RpcHandler(S.bulkTags)
  bulkTags(envelope: RequestEnvelope<CrmBulkTagsRequest>) {
    return this.contacts.bulkTags(envelope);
  }

  @RpcHandler(S.noteCreate)
  noteCreate(envelope: RequestEnvelope<CrmContactNoteCreateRequest>) {
    return this.notes.create(envelope);
  }

  @RpcHandler(S.noteList)
  noteList(envelope: RequestEnvelope<{ contactId: string }>) {
    return this.notes.list(envelope);
  }

  @RpcHandler(S.noteUpdate)
  noteUpdate(envelope: RequestEnvelope<CrmContactNoteUpdateRequest>) {
    return this.notes.update(envelope);
  }

  @RpcHandler(S.noteDelete)
  noteDelete(envelope: RequestEnvelope<{ contactId: string; noteId: string }>) {
    return this.notes.delete(envelope);
  }

  @RpcHandler(S.dataExport)
  dataExport(envelope: RequestEnvelope<{ id: string }>) {
    return this.privacy.export(envelope);
  }

  @RpcHandler(S.erase)
  erase(envelope: RequestEnvelope<{ id: string }>) {
    return this.privacy.erase(envelope);
  }

  @RpcHandler(S.importRows)
  importRows(envelope: RequestEnvelope<CrmImportRowsRequest>) {
    return this.imports.importRows(envelope);
  }

  @RpcHandler(S.fieldList)
  fieldList(envelope: RequestEnvelope) {
    return this.fields.list(envelope);
  }

  @RpcHandler(S.fieldCreate)
  fieldCreate(envelope: RequestEnvelope<CrmCustomFieldCreateRequest>) {
    return this.fields.create(envelope);
  }

  @RpcHandler(S.fieldUpdate)
  fieldUpdate(envelope: RequestEnvelope<CrmCustomFieldUpdateRequest>) {
    return this.fields.update(envelope);
  }

  @RpcHandler(S.fieldDelete)
  fieldDelete(envelope: RequestEnvelope<{ id: string }>) {
    return this.fields.delete(envelope);
  }

  @RpcHandler(S.leadEventIngest)
  leadEventIngest(envelope: RequestEnvelope<CrmLeadEventRequest>) {
    return this.intake.ingest(envelope);
  }

  @RpcHandler(S.publicLeadCapture)
  publicLeadCapture(envelope: RequestEnvelope<CrmPublicLeadRequest>) {
    return this.intake.capturePublic(envelope);
  }

  @RpcHandler(S.ruleCreate)
  ruleCreate(envelope: RequestEnvelope<CrmAssignmentRuleInput>) {
    return this.rules.create(envelope);
  }

  @RpcHandler(S.ruleList)
  ruleList(envelope: RequestEnvelope) {
    return this.rules.list(envelope);
  }

  @RpcHandler(S.ruleGet)
  ruleGet(envelope: RequestEnvelope<{ id: string }>) {
    return this.rules.get(envelope);
  }

  @RpcHandler(S.ruleUpdate)
  ruleUpdate(envelope: RequestEnvelope<CrmAssignmentRuleUpdateRequest>) {
    return this.rules.update(envelope);
  }

  @RpcHandler(S.ruleDelete)
  ruleDelete(envelope: RequestEnvelope<{ id: string }>) {
    return this.rules.delete(envelope);
  }

  @RpcHandler(S.ruleLedger)
  ruleLedger(envelope: RequestEnvelope<{ id: string }>) {
    return this.rules.ledger(envelope);
  }

  @RpcHandler(S.pondCreate)
  pondCreate(envelope: RequestEnvelope<CrmPondCreateRequest>) {
    return this.rules.pondCreate(envelope);
  }

  @RpcHandler(S.pondList)
  pondList(envelope: RequestEnvelope) {
    return this.rules.pondList(envelope);
  }

  @RpcHandler(S.pondUpdate)
  pondUpdate(envelope: RequestEnvelope<CrmPondUpdateRequest>) {
    return this.rules.pondUpdate(envelope);
  }

  @RpcHandler(S.pondDelete)
  async pondDelete(envelope: RequestEnvelope<{ id: string }>) {
    await this.rules.pondDelete(envelope);
    return null;
  }

  @RpcHandler(S.pondClaim)
  pondClaim(envelope: RequestEnvelope<CrmPondClaimRequest>) {
    return this.rules.claim(envelope);
  }
}
