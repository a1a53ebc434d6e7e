import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { newId } from '@keyhouse/util';
import type { EmailSender, OutgoingEmail } from './email-sender.port';

/** Records emails in `local_mail` instead of sending them (ARCHITECTURE.md, External providers). */
@Injectable()
export class LocalEmailSender implements EmailSender {
  async send(manager: EntityManager, email: OutgoingEmail): Promise<void> {
    await manager.query(
      `INSERT INTO local_mail (id, org_id, to_address, subject, text, template, variables) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [newId(), email.orgId, email.to, email.subject, email.text, email.template, JSON.stringify(email.variables)],
    );
  }
}
