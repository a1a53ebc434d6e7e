import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import {
  CrmContactSubjects as S,
  type CrmContactView,
  type CrmProposedDetails,
  type CrmProposedDetailsAcceptRequest,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { isUuid } from '@keyhouse/util';
import type { CrmDb } from '../../database/crm.db';
import { ContactLookup } from '../contacts-core/contact-lookup.service';
import { derive, mergeStates, stateOf } from '../contacts-core/contact-state.util';
import { ContactTags } from '../contacts-core/contact-tags.service';
import { ContactWriter } from '../contacts-core/contact-writer.service';
import { TimelineRecorder } from '../contacts-core/timeline-recorder.service';

/** 404: no `form.submitted` entry of this contact with proposed details. */
export const PROPOSED_DETAILS_NOT_FOUND = 'PROPOSED_DETAILS_NOT_FOUND';
/** 409: these proposed details were accepted already. */
export const PROPOSED_DETAILS_ALREADY_ACCEPTED = 'PROPOSED_DETAILS_ALREADY_ACCEPTED';

/**
 * The contact details a public submission proposed for an existing contact (the `proposed` of its
 * `form.submitted` timeline entry, see `IntakeService.capturePublic`) are applied only when an
 * agent who may change the contact accepts them, by the intake's merge rule (blanks filled,
 * emails and phones added).
 */
@Injectable()
export class ProposedDetailsService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly lookup: ContactLookup,
    private readonly writer: ContactWriter,
    private readonly tags: ContactTags,
    private readonly timeline: TimelineRecorder,
  ) {}

  /**
   * `POST /v1/contacts/:id/proposed-details/:entryId/accept` (`contacts:write` on the contact):
   * applies the details, marks the entry accepted (`acceptedAt`, `acceptedBy`), records
   * `contact.proposed_details_accepted` and emits `crm.contact.updated` with the changes. Answers
   * the contact.
   *
   * @throws DomainException 404 `CONTACT_NOT_FOUND`, 404 `PROPOSED_DETAILS_NOT_FOUND`, 409
   *   `PROPOSED_DETAILS_ALREADY_ACCEPTED`, 400 (an invalid proposed phone).
   */
  @RpcHandler(S.proposedDetailsAccept)
  async accept(envelope: RequestEnvelope<CrmProposedDetailsAcceptRequest>): Promise<CrmContactView> {
    const actor = envelope.actor!;
    const { id, entryId } = envelope.data;
    return this.unitOfWork.run(envelope, async (unit) => {
      let row = await this.lookup.visible(unit.manager, actor, 'contacts:write', id, true);
      const db = kyselyFor<CrmDb>(unit.manager);
      const entry = isUuid(entryId)
        ? await db
            .selectFrom('timeline_entry')
            .select(['id', 'data'])
            .where('id', '=', entryId)
            .where('org_id', '=', row.org_id)
            .where('contact_id', '=', row.id)
            .where('kind', '=', 'form.submitted')
            .forUpdate()
            .executeTakeFirst()
        : undefined;
      const data = (entry?.data ?? {}) as { proposed?: CrmProposedDetails; acceptedAt?: string };
      if (!entry || !data.proposed) throw DomainException.notFound(PROPOSED_DETAILS_NOT_FOUND, 'Proposed details');
      if (data.acceptedAt) {
        throw new DomainException('conflict', PROPOSED_DETAILS_ALREADY_ACCEPTED, 'These details were accepted already');
      }
      const proposed = data.proposed;
      const incoming = await this.writer.stateFromInput(unit.manager, row.org_id, {
        firstName: proposed.firstName,
        lastName: proposed.lastName,
        email: proposed.email,
        phone: proposed.phone,
        address: proposed.postalCode ? { postalCode: proposed.postalCode } : undefined,
      });
      const next = mergeStates(stateOf(row), incoming);
      derive(next);
      row = await this.writer.save(unit, row, next);
      const acceptedAt = new Date().toISOString();
      await db
        .updateTable('timeline_entry')
        .set({ data: sql`data || ${JSON.stringify({ acceptedAt, acceptedBy: unit.actorId })}::jsonb` })
        .where('id', '=', entry.id)
        .execute();
      await this.timeline.record(unit.manager, {
        orgId: row.org_id,
        contactId: row.id,
        kind: 'contact.proposed_details_accepted',
        actorId: unit.actorId,
        data: { entryId: entry.id, proposed },
      });
      return this.tags.view(unit.manager, row);
    });
  }
}
