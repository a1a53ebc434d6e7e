import { Injectable } from '@nestjs/common';
import { CrmContactSubjects, ListingsPropertySubjects, type RequestEnvelope } from '@keyhouse/contracts';
import { DomainException, RpcClient } from '@keyhouse/platform/messaging';
import { DealsErrorCode } from '../../deals-commission.exception';

/** A contact id a request gave and the field it came in (`buyerContactIds[1]`, `participants[0].contactId`). */
export interface ContactReference {
  field: string;
  id: string;
}

/** Error kinds with which an owner says "not for this caller": the id is refused, not the request failed. */
const REFUSALS = new Set(['not_found', 'forbidden']);

/**
 * Checks the records of other services a deal points at with their owners, on the caller's own
 * envelope (so the owner applies the caller's permissions and scope): the listing with listings'
 * `listings.properties.get`, each contact with crm's `crm.contacts.get`. A deal can then only name
 * a property of the caller's organization they may read and contacts they may read.
 */
@Injectable()
export class DealReferencesService {
  constructor(private readonly rpc: RpcClient) {}

  /**
   * Asks listings for `propertyId` (when given) and crm for each distinct contact id, in parallel.
   *
   * @throws DomainException 400 `PROPERTY_NOT_FOUND` naming `propertyId`, or else 400
   *   `CONTACT_NOT_FOUND`, with one `{ field, message }` per refused field (a property and contacts
   *   refused together are all named, under the property's code); the owners' transport failures
   *   (503 `SERVICE_UNAVAILABLE`, 504 `SERVICE_TIMEOUT`) as they come: nothing is stored unchecked.
   */
  async assertReadable(envelope: RequestEnvelope, propertyId: string | null | undefined, contacts: ContactReference[]): Promise<void> {
    const contactIds = [...new Set(contacts.map((contact) => contact.id))];
    const [propertyRefused, refusedContacts] = await Promise.all([
      propertyId ? this.refused(this.rpc.request(ListingsPropertySubjects.get, { ...envelope, data: { id: propertyId } })) : false,
      Promise.all(contactIds.map((id) => this.refused(this.rpc.request(CrmContactSubjects.get, { ...envelope, data: { id } })))).then(
        (answers) => new Set(contactIds.filter((_, index) => answers[index])),
      ),
    ]);
    const errors = [
      ...(propertyRefused ? [{ field: 'propertyId', message: 'is not a property of this organization you can read' }] : []),
      ...contacts
        .filter((contact) => refusedContacts.has(contact.id))
        .map((contact) => ({ field: contact.field, message: 'is not a contact of this organization you can read' })),
    ];
    if (errors.length) {
      throw DomainException.validation(errors, propertyRefused ? DealsErrorCode.PropertyNotFound : DealsErrorCode.ContactNotFound);
    }
  }

  /** True when the owner refused the id to this caller; rethrows anything else (the owner unreachable). */
  private async refused(answer: Promise<unknown>): Promise<boolean> {
    try {
      await answer;
      return false;
    } catch (error) {
      if (error instanceof DomainException && REFUSALS.has(error.kind)) return true;
      throw error;
    }
  }
}

/** The contact ids of a deal request (buyers, sellers, participants' links) with the fields they came in. */
export function contactReferencesOf(data: {
  buyerContactIds?: string[];
  sellerContactIds?: string[];
  participants?: Array<{ contactId?: string | null }>;
}): ContactReference[] {
  return [
    ...(data.buyerContactIds ?? []).map((id, index) => ({ field: `buyerContactIds[${index}]`, id })),
    ...(data.sellerContactIds ?? []).map((id, index) => ({ field: `sellerContactIds[${index}]`, id })),
    ...(data.participants ?? []).flatMap((participant, index) =>
      participant.contactId ? [{ field: `participants[${index}].contactId`, id: participant.contactId }] : [],
    ),
  ];
}
