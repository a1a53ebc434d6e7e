import { Module } from '@nestjs/common';
import { CrmContactsModule } from '../contacts/crm-contacts.module';
import { SmartListsService } from './smart-lists.service';

/** Smart lists: saved contact filters, evaluated by the contacts module's list under the caller's scope. Exports nothing. */
@Module({
  imports: [CrmContactsModule],
  providers: [SmartListsService],
})
export class SmartListsModule {}
