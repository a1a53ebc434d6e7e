import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CrmContactSubjects, type Actor, type RequestEnvelope } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcClient } from '@keyhouse/platform/messaging';
import type { ListingsDb } from '../../database/listings.db';
import { ListingsErrorCode } from '../../listings.exception';
import { PropertyAccess } from '../properties/property-access.service';

/**
 * Which crm contacts a caller may record views, interest, saved searches and shares for
 * (docs/adr/0019). Contacts are crm's: an agent, manager or admin may use a contact crm shows
 * them — `crm.contacts.get` asked with the caller's own envelope, which crm answers by its
 * contacts:read scope (own / team / org) — and a client (`listings:read:own`) only their own
 * contact, from the `client_contact` read model. Anything else is 404 `CONTACT_NOT_FOUND`, the
 * same answer as for a contact that does not exist, so ids of other agents' contacts leak nothing.
 */
@Injectable()
export class ContactAccess {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly rpc: RpcClient,
    private readonly access: PropertyAccess,
  ) {}

  /** The crm contact a client user is, or null (not a client, or identity's event not yet applied). */
  async clientContactId(actor: Actor): Promise<string | null> {
    if (!actor.userId) return null;
    const row = await kyselyFor<ListingsDb>(this.dataSource)
      .selectFrom('client_contact')
      .select('contact_id')
      .where('user_id', '=', actor.userId)
      .where('org_id', '=', actor.orgId)
      .executeTakeFirst();
    return row?.contact_id ?? null;
  }

  /** Throws 404 `CONTACT_NOT_FOUND` unless the caller may read the contact (503 when crm does not answer). */
  async assertReadable(envelope: RequestEnvelope, contactId: string): Promise<void> {
    const actor = envelope.actor!;
    if (this.access.isClient(actor)) {
      if ((await this.clientContactId(actor)) === contactId) return;
      throw notFound();
    }
    try {
      const contact = await this.rpc.request(
        CrmContactSubjects.get,
        { actor, requestId: envelope.requestId, traceparent: envelope.traceparent, data: { id: contactId } },
        { retries: 1 },
      );
      if (contact.id === contactId && contact.orgId === actor.orgId) return;
    } catch (error) {
      if (!(error instanceof DomainException) || !['not_found', 'forbidden', 'validation'].includes(error.kind)) throw error;
    }
    throw notFound();
  }
}

const notFound = () => DomainException.notFound(ListingsErrorCode.ContactNotFound, 'Contact');
