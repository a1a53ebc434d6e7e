import { Module } from '@nestjs/common';
import { ContactLookup } from './contact-lookup.service';
import { ContactTags } from './contact-tags.service';
import { ContactWriter } from './contact-writer.service';
import { CustomFieldsService } from './custom-fields.service';
import { DuplicateDetection } from './duplicate-detection.service';
import { LeadSourceCatalog } from './lead-source-catalog.service';
import { TimelineRecorder } from './timeline-recorder.service';

/**
 * The contacts core: the building blocks every other crm module writes contacts with — the
 * contact row and state (`contact.row`, `contact-state`, lead score, normalisation, scope
 * filter), `ContactLookup`, `ContactWriter` (validation, derived columns, row, timeline entry
 * and event in the caller's unit of work), tags, duplicate detection, `TimelineRecorder` and the
 * organization's lead sources (`LeadSourceCatalog`: validation of a source against its list).
 * Also answers the custom-field definition contracts (`CustomFieldsService`). Imports no other
 * crm module. Exports what other modules inject: `ContactLookup`, `ContactWriter`, `ContactTags`,
 * `DuplicateDetection`, `TimelineRecorder`, `LeadSourceCatalog`.
 */
@Module({
  providers: [ContactLookup, ContactTags, CustomFieldsService, TimelineRecorder, ContactWriter, DuplicateDetection, LeadSourceCatalog],
  exports: [ContactLookup, ContactWriter, ContactTags, DuplicateDetection, TimelineRecorder, LeadSourceCatalog],
})
export class ContactsCoreModule {}
