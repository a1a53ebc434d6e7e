import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import {
  CrmContactEvent,
  CrmContactSubjects as S,
  type CrmContactInput,
  type CrmLeadCapturedData,
  type CrmLeadEventRequest,
  type CrmLeadEventResponse,
  type CrmPublicLeadRequest,
  type CrmPublicLeadResponse,
  type CrmProposedDetails,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { CrmErrorCode } from '../../crm.exception';
import type { CrmDb } from '../../database/crm.db';
import { AssignmentEngine } from '../assignment/assignment-engine.service';
import { ContactLookup } from '../contacts-core/contact-lookup.service';
import type { ContactRow } from '../contacts-core/contact.row';
import { derive, mergeStates, stateOf } from '../contacts-core/contact-state.util';
import { ContactWriter } from '../contacts-core/contact-writer.service';
import { DuplicateDetection, probeOf } from '../contacts-core/duplicate-detection.service';
import { TimelineRecorder } from '../contacts-core/timeline-recorder.service';

/** The source of a public form submission that names none. */
export const PUBLIC_FORM_DEFAULT_SOURCE = 'website';

/**
 * Lead intake: typed lead events from websites, IDX and portals (API keys with `leads:write`) and
 * public form submissions (the organization resolved from its form key by the gateway). Both find
 * the contact by the duplicate rules or create it, record the intake on the timeline, update the
 * score (engagement, recency), route new leads by the assignment rules and emit
 * `crm.lead.captured`. A lead event (a trusted source) merges into an existing contact; a public
 * submission only proposes its details for an existing contact (the `form.submitted` timeline
 * entry's `proposed`, applied when an agent accepts them: `ProposedDetailsService`), because
 * anyone may type anyone's address into a public form (issue 13 item 6).
 */
@Injectable()
export class IntakeService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly writer: ContactWriter,
    private readonly duplicates: DuplicateDetection,
    private readonly lookup: ContactLookup,
    private readonly engine: AssignmentEngine,
    private readonly timeline: TimelineRecorder,
  ) {}

  /**
   * `POST /v1/lead-events`: the same source + external id twice is one event (`duplicateEvent:
   * true`, nothing changes). A new event's `source` must be an active lead source of the
   * organization: 400 `UNKNOWN_LEAD_SOURCE` (field `source`) otherwise.
   */
  @RpcHandler(S.leadEventIngest)
  async ingest(envelope: RequestEnvelope<CrmLeadEventRequest>): Promise<CrmLeadEventResponse> {
    const actor = envelope.actor!;
    requireScope(actor, 'leads:write');
    const data = envelope.data;
    return this.unitOfWork.run(envelope, async (unit) => {
      const db = kyselyFor<CrmDb>(unit.manager);
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`lead-event:${actor.orgId}:${data.source}:${data.externalId}`}))`.execute(db);
      const seen = await db
        .selectFrom('lead_event')
        .select(['id', 'contact_id', 'merged'])
        .where('org_id', '=', actor.orgId)
        .where('source', '=', data.source)
        .where('external_id', '=', data.externalId)
        .executeTakeFirst();
      if (seen) return { eventId: seen.id, contactId: seen.contact_id, merged: seen.merged, duplicateEvent: true };
      const property = data.property;
      const input: CrmContactInput = {
        firstName: data.person.firstName,
        lastName: data.person.lastName,
        email: data.person.email,
        phone: data.person.phone,
        source: data.source,
        type: data.contactType ?? (data.type === 'seller_inquiry' ? 'seller' : undefined),
        address: data.person.postalCode || data.person.city ? { postalCode: data.person.postalCode, city: data.person.city } : undefined,
        preferences:
          property?.priceCents || property?.postalCode
            ? {
                maxPriceCents: property.priceCents ?? null,
                postalCodes: property.postalCode ? [property.postalCode] : [],
                areas: property.city ? [property.city] : [],
              }
            : undefined,
      };
      const occurredAt = data.occurredAt ? new Date(data.occurredAt) : new Date();
      const { row, merged } = await this.findOrCreate(unit, actor.orgId, input, occurredAt);
      const eventId = newId();
      await db
        .insertInto('lead_event')
        .values({
          id: eventId,
          org_id: actor.orgId,
          contact_id: row.id,
          source: data.source,
          external_id: data.externalId,
          type: data.type,
          payload: JSON.stringify(data),
          merged,
          occurred_at: occurredAt,
        })
        .execute();
      await this.timeline.record(unit.manager, {
        orgId: actor.orgId,
        contactId: row.id,
        kind: 'lead.event',
        actorId: null,
        occurredAt,
        data: {
          eventId,
          type: data.type,
          source: data.source,
          externalId: data.externalId,
          property: property ?? null,
          message: data.message ?? null,
        },
      });
      await this.captured(unit, actor.orgId, {
        contactId: row.id,
        merged,
        channel: 'lead_event',
        source: data.source,
        eventType: data.type,
      });
      if (!merged) await this.engine.route(unit, row);
      return { eventId, contactId: row.id, merged, duplicateEvent: false };
    });
  }

  /**
   * `POST /v1/public/leads` (and the contact of a client registration): stores the raw submission
   * (form type, answers, UTM, consent), finds or creates the contact, and answers
   * `{ submissionId, contactId, merged }` to the gateway, which shows the public only
   * `submissionId`. An existing contact's details are not changed: the submitted ones are recorded
   * as `proposed` on the `form.submitted` entry (only the engagement counts). The same
   * `Idempotency-Key` for the organization returns the first answer without a second submission.
   * A `source` must be an active lead source of the organization (400 `UNKNOWN_LEAD_SOURCE`,
   * field `source`); none means `website`.
   */
  @RpcHandler(S.publicLeadCapture)
  async capturePublic(envelope: RequestEnvelope<CrmPublicLeadRequest>): Promise<CrmPublicLeadResponse> {
    const data = envelope.data;
    const orgId = data.orgId;
    if (!data.email && !data.phone) {
      throw new DomainException('validation', CrmErrorCode.PersonIncomplete, 'An email or a phone number is required', [
        { field: 'email', message: 'or phone is required' },
      ]);
    }
    return this.unitOfWork.run(envelope, async (unit) => {
      const db = kyselyFor<CrmDb>(unit.manager);
      const key = envelope.idempotencyKey ?? null;
      if (key) {
        await sql`SELECT pg_advisory_xact_lock(hashtext(${`public-lead:${orgId}:${key}`}))`.execute(db);
        const seen = await db
          .selectFrom('form_submission')
          .select(['id', 'contact_id', 'merged'])
          .where('org_id', '=', orgId)
          .where('idempotency_key', '=', key)
          .executeTakeFirst();
        if (seen) return { submissionId: seen.id, contactId: seen.contact_id, merged: seen.merged };
      }
      const now = new Date().toISOString();
      const consent = Object.fromEntries(
        Object.entries(data.consent ?? {}).map(([channel, granted]) => [channel, { granted: !!granted, source: 'web_form', at: now }]),
      );
      const input: CrmContactInput = {
        firstName: data.firstName,
        lastName: data.lastName,
        email: data.email,
        phone: data.phone,
        // Validated against the organization's active lead sources when given (400 UNKNOWN_LEAD_SOURCE);
        // the default `website` is the system's choice and is applied even once archived (docs/adr/0032).
        source: data.source,
        type: data.contactType,
        address: data.postalCode ? { postalCode: data.postalCode } : undefined,
        consent,
      };
      const source = data.source ?? PUBLIC_FORM_DEFAULT_SOURCE;
      const { row, merged } = await this.findOrCreate(unit, orgId, input, new Date(), 'propose', source);
      const submissionId = newId();
      const formType = data.formType ?? 'contact';
      await db
        .insertInto('form_submission')
        .values({
          id: submissionId,
          org_id: orgId,
          contact_id: row.id,
          form_type: formType,
          answers: JSON.stringify({ ...(data.answers ?? {}), ...(data.message ? { message: data.message } : {}) }),
          utm: JSON.stringify(data.utm ?? {}),
          source,
          consent: JSON.stringify(data.consent ?? {}),
          idempotency_key: key,
          merged,
        })
        .execute();
      await this.timeline.record(unit.manager, {
        orgId,
        contactId: row.id,
        kind: 'form.submitted',
        actorId: null,
        data: {
          submissionId,
          formType,
          message: data.message ?? null,
          utm: data.utm ?? {},
          ...(merged ? { proposed: proposedDetails(data) } : {}),
        },
      });
      await this.captured(unit, orgId, { contactId: row.id, merged, channel: 'public_form', source, formType });
      if (!merged) await this.engine.route(unit, row);
      return { submissionId, contactId: row.id, merged };
    });
  }

  /**
   * The contact this person already is (strongest duplicate) or a new one — which the caller
   * routes with `route` as the transaction's last step, so the rule's row lock (round-robin) is
   * held only briefly. An existing contact counts the engagement; with `merge` (lead events) the
   * intake also fills its blanks and adds new emails/phones, with `propose` (public forms) its
   * details stay as they are. `input.source` must be an active lead source of the organization
   * (400 `UNKNOWN_LEAD_SOURCE` on `source`); `defaultSource`, used when the input has none, is not
   * checked (the system's own choice stays valid when an organization archives it).
   */
  async findOrCreate(
    unit: UnitOfWorkContext,
    orgId: string,
    input: CrmContactInput,
    activityAt = new Date(),
    existingDetails: 'merge' | 'propose' = 'merge',
    defaultSource: string | null = null,
  ): Promise<{ row: ContactRow; merged: boolean }> {
    const incoming = await this.writer.stateFromInput(unit.manager, orgId, input);
    if (!incoming.source && defaultSource) incoming.source = defaultSource;
    incoming.engagement_count = 1;
    incoming.last_activity_at = activityAt > new Date() ? new Date() : activityAt;
    derive(incoming);
    await this.duplicates.lockIdentity(unit.manager, orgId, incoming);
    const found = await this.duplicates.find(unit.manager, orgId, probeOf(incoming), 1);
    if (found[0]) {
      const existing = await this.lookup.byId(unit.manager, orgId, found[0].id, true);
      if (existing) {
        const current = stateOf(existing);
        const next =
          existingDetails === 'merge'
            ? mergeStates(current, incoming)
            : {
                ...current,
                engagement_count: current.engagement_count + incoming.engagement_count,
                last_activity_at:
                  current.last_activity_at && current.last_activity_at > incoming.last_activity_at!
                    ? current.last_activity_at
                    : incoming.last_activity_at,
              };
        derive(next);
        const saved = await this.writer.save(unit, existing, next, 'contact.updated_by_intake');
        return { row: saved, merged: true };
      }
    }
    const row = await this.writer.insert(unit, orgId, incoming);
    return { row, merged: false };
  }

  private async captured(unit: UnitOfWorkContext, orgId: string, data: CrmLeadCapturedData): Promise<void> {
    await unit.emit(CrmContactEvent.leadCaptured, data.contactId, orgId, data);
  }
}

/**
 * The contact details a public submission proposes for an existing contact (stored on its
 * `form.submitted` timeline entry as `proposed`; `ProposedDetailsService.accept` applies them).
 */
export function proposedDetails(data: CrmPublicLeadRequest): CrmProposedDetails {
  const details: CrmProposedDetails = {};
  if (data.firstName) details.firstName = data.firstName;
  if (data.lastName) details.lastName = data.lastName;
  if (data.email) details.email = data.email;
  if (data.phone) details.phone = data.phone;
  if (data.postalCode) details.postalCode = data.postalCode;
  return details;
}
