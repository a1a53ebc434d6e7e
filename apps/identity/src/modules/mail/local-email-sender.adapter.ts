import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { kyselyFor } from '@keyhouse/platform/database';
import { newId } from '@keyhouse/util';
import type { IdentityDb } from '../../database/identity.db';
import type { EmailSender, OutgoingEmail } from './email-sender.port';

/** Records emails in `local_mail` instead of sending them (ARCHITECTURE.md, External providers). */
@Injectable()
export class LocalEmailSender implements EmailSender {
  async send(manager: EntityManager, email: OutgoingEmail): Promise<void> {
    await kyselyFor<IdentityDb>(manager)
      .insertInto('local_mail')
      .values({
        id: newId(),
        org_id: email.orgId,
        to_address: email.to,
        subject: email.subject,
        text: email.text,
        template: email.template,
        variables: JSON.stringify(email.variables),
      })
      .execute();
  }
}
