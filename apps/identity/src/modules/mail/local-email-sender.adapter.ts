import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { kyselyFor } from '@keyhouse/platform/database';
import { newId } from '@keyhouse/util';
import { IDENTITY_CONFIG, type IdentityConfig } from '../../config/identity.config';
import type { IdentityDb } from '../../database/identity.db';
import { redactSecrets, type EmailSender, type OutgoingEmail } from './email-sender.port';

/**
 * Records emails in `local_mail` instead of sending them (ARCHITECTURE.md, External providers),
 * with their secrets redacted in `text` and `variables`. The secrets themselves go to
 * `local_mail.secrets` only with `IDENTITY_LOCAL_MAILBOX_SECRETS` (development and tests).
 */
@Injectable()
export class LocalEmailSender implements EmailSender {
  constructor(@Inject(IDENTITY_CONFIG) private readonly config: Pick<IdentityConfig, 'IDENTITY_LOCAL_MAILBOX_SECRETS'>) {}

  async send(manager: EntityManager, email: OutgoingEmail): Promise<void> {
    const shown = redactSecrets(email);
    const keep = this.config.IDENTITY_LOCAL_MAILBOX_SECRETS && email.secrets && Object.keys(email.secrets).length > 0;
    await kyselyFor<IdentityDb>(manager)
      .insertInto('local_mail')
      .values({
        id: newId(),
        org_id: email.orgId,
        to_address: email.to,
        subject: email.subject,
        text: shown.text,
        template: email.template,
        variables: JSON.stringify(shown.variables),
        secrets: keep ? JSON.stringify(email.secrets) : null,
      })
      .execute();
  }
}
