import {
  CrmTaskEvent,
  DealsEvent,
  ListingsEvent,
  type CloudEvent,
  type EventDefinition,
  type CrmTaskCompletedData,
  type CrmTaskCreatedData,
  type DealsOfferEventData,
  type DealsTransactionClosedData,
  type DealsTransactionCreatedData,
  type DealsTransactionDeletedData,
  type DealsTransactionUpdatedData,
  type TransactionStageChangedData,
} from '@keyhouse/contracts';
import { isUuid } from '@keyhouse/util';

/** One timeline entry an event from another service (or crm's own work module) puts on a contact. */
export interface ActivityEntry {
  contactId: string;
  /** Timeline `kind`: the event type, or `deals.transaction.contact_linked` for a contact added to a deal. */
  kind: string;
  /** What the entry shows (ids, stages, amounts in cents); never the other parties' personal data. */
  data: Record<string, unknown>;
  /** Counts as engagement in the lead score (docs/adr/0009): the count and the recency of activity. */
  engages: boolean;
}

type DealRole = 'buyer' | 'seller';

/** Listings events about a contact; `engages` ones also count for the score. */
const LISTINGS_ACTIVITY: Record<string, { engages: boolean }> = {
  [ListingsEvent.propertyViewed.type]: { engages: true },
  [ListingsEvent.contactListingChanged.type]: { engages: true },
  [ListingsEvent.savedSearchCreated.type]: { engages: true },
  [ListingsEvent.savedSearchDeleted.type]: { engages: false },
  [ListingsEvent.searchMatched.type]: { engages: false },
  [ListingsEvent.propertyShared.type]: { engages: false },
  [ListingsEvent.propertyUnshared.type]: { engages: false },
};

/** The `listings.events` types `listingsActivityEntries` maps (consumer group `crm.activity`). */
export const LISTINGS_ACTIVITY_EVENTS: ReadonlyArray<EventDefinition<unknown>> = [
  ListingsEvent.propertyViewed,
  ListingsEvent.contactListingChanged,
  ListingsEvent.savedSearchCreated,
  ListingsEvent.savedSearchDeleted,
  ListingsEvent.searchMatched,
  ListingsEvent.propertyShared,
  ListingsEvent.propertyUnshared,
];

/**
 * `listings.events`: property views, favourites/rejections, saved searches, matches and shares
 * about a contact (`data.contactId`), with the event's payload as the entry's data. Views,
 * reactions and new saved searches engage.
 */
export function listingsActivityEntries(event: CloudEvent): ActivityEntry[] {
  const kind = LISTINGS_ACTIVITY[event.type];
  const contactId = (event.data as { contactId?: unknown } | null)?.contactId;
  if (!kind || !isUuid(contactId)) return [];
  return [{ contactId, kind: event.type, data: (event.data ?? {}) as Record<string, unknown>, engages: kind.engages }];
}

const OFFER_EVENTS: Record<string, { engages: boolean }> = {
  [DealsEvent.offerSubmitted.type]: { engages: true },
  [DealsEvent.offerCountered.type]: { engages: false },
  [DealsEvent.offerAccepted.type]: { engages: false },
  [DealsEvent.offerRejected.type]: { engages: false },
  [DealsEvent.offerWithdrawn.type]: { engages: false },
};

/** The `deals.events` types `dealActivityEntries` maps (consumer group `crm.deal-activity`). */
export const DEAL_ACTIVITY_EVENTS: ReadonlyArray<EventDefinition<unknown>> = [
  DealsEvent.transactionCreated,
  DealsEvent.transactionUpdated,
  DealsEvent.transactionStageChanged,
  DealsEvent.transactionClosed,
  DealsEvent.transactionDeleted,
  DealsEvent.offerSubmitted,
  DealsEvent.offerCountered,
  DealsEvent.offerAccepted,
  DealsEvent.offerRejected,
  DealsEvent.offerWithdrawn,
];

/** One entry per (contact, role) of the deal's buyer and seller contact ids (invalid and repeated ids dropped). */
function perContact(buyers: unknown, sellers: unknown, make: (contactId: string, role: DealRole) => ActivityEntry): ActivityEntry[] {
  const entries: ActivityEntry[] = [];
  const seen = new Set<string>();
  for (const [role, ids] of [
    ['buyer', buyers],
    ['seller', sellers],
  ] as Array<[DealRole, unknown]>) {
    if (!Array.isArray(ids)) continue;
    for (const id of ids) {
      if (!isUuid(id) || seen.has(`${role}:${id}`)) continue;
      seen.add(`${role}:${id}`);
      entries.push(make(id, role));
    }
  }
  return entries;
}

/**
 * `deals.events` on the timelines of the contacts linked to the deal (`role` says on which side).
 * Only a buyer's offer counts as engagement in the lead score: the score measures the lead's own
 * activity (forms, lead events, views), and the rest is the agent's work on the deal.
 * - `deals.transaction.created`: `{ transactionId, role, side, pipelineId, stage, price, propertyId, agentId }`;
 * - `deals.transaction.updated` that added buyer or seller contacts: `deals.transaction.contact_linked`
 *   `{ transactionId, role }` on each added contact;
 * - `deals.transaction.stage_changed` (moves only; the creation's `from: null` is the created entry):
 *   `{ transactionId, role, pipelineId, from, to, outcome, closePrice, closeDate }`;
 * - `deals.transaction.closed`: `{ transactionId, role, closePrice, closeDate }` (cents, `YYYY-MM-DD`);
 * - `deals.transaction.deleted`: `{ transactionId, role }`;
 * - `deals.offer.submitted|countered|accepted|rejected|withdrawn` on the offer's buyer contact:
 *   `{ offerId, transactionId, propertyId, amount, earnestMoney, financingType, status, role: buyer }`
 *   (a submitted offer engages).
 * Contact ids come from the deals service unchecked; the consumer keeps only live contacts of the
 * event's organization.
 */
export function dealActivityEntries(event: CloudEvent): ActivityEntry[] {
  const kind = event.type;
  switch (kind) {
    case DealsEvent.transactionCreated.type: {
      const deal = (event.data as DealsTransactionCreatedData | null)?.transaction;
      if (!deal) return [];
      return perContact(deal.buyerContactIds, deal.sellerContactIds, (contactId, role) => ({
        contactId,
        kind,
        engages: false,
        data: {
          transactionId: deal.id,
          role,
          side: deal.side,
          pipelineId: deal.pipelineId,
          stage: deal.stage,
          price: deal.price,
          propertyId: deal.propertyId,
          agentId: deal.agentId,
        },
      }));
    }
    case DealsEvent.transactionUpdated.type: {
      const data = event.data as DealsTransactionUpdatedData | null;
      const added = (field: 'buyerContactIds' | 'sellerContactIds'): string[] => {
        const change = data?.changes?.[field] as { from?: unknown; to?: unknown } | undefined;
        if (!change || !Array.isArray(change.to)) return [];
        const before = new Set(Array.isArray(change.from) ? change.from : []);
        return (change.to as unknown[]).filter((id): id is string => typeof id === 'string' && !before.has(id));
      };
      if (!data) return [];
      return perContact(added('buyerContactIds'), added('sellerContactIds'), (contactId, role) => ({
        contactId,
        kind: 'deals.transaction.contact_linked',
        engages: false,
        data: { transactionId: data.transactionId, role },
      }));
    }
    case DealsEvent.transactionStageChanged.type: {
      const data = event.data as TransactionStageChangedData | null;
      if (!data || data.from === null) return [];
      return perContact(data.buyerContactIds, data.sellerContactIds, (contactId, role) => ({
        contactId,
        kind,
        engages: false,
        data: {
          transactionId: data.transactionId,
          role,
          pipelineId: data.pipelineId,
          from: data.from,
          to: data.to,
          outcome: data.outcome,
          closePrice: data.closePrice,
          closeDate: data.closeDate,
        },
      }));
    }
    case DealsEvent.transactionClosed.type: {
      const data = event.data as DealsTransactionClosedData | null;
      if (!data) return [];
      return perContact(data.buyerContactIds, data.sellerContactIds, (contactId, role) => ({
        contactId,
        kind,
        engages: false,
        data: { transactionId: data.transactionId, role, closePrice: data.closePrice, closeDate: data.closeDate },
      }));
    }
    case DealsEvent.transactionDeleted.type: {
      const data = event.data as DealsTransactionDeletedData | null;
      if (!data) return [];
      return perContact(data.buyerContactIds, data.sellerContactIds, (contactId, role) => ({
        contactId,
        kind,
        engages: false,
        data: { transactionId: data.transactionId, role },
      }));
    }
    default: {
      const offerKind = OFFER_EVENTS[kind];
      const offer = (event.data as DealsOfferEventData | null)?.offer;
      if (!offerKind || !offer || !isUuid(offer.buyerContactId)) return [];
      return [
        {
          contactId: offer.buyerContactId,
          kind,
          engages: offerKind.engages,
          data: {
            offerId: offer.id,
            transactionId: offer.transactionId,
            propertyId: offer.propertyId,
            amount: offer.amount,
            earnestMoney: offer.earnestMoney,
            financingType: offer.financingType,
            status: offer.status,
            role: 'buyer',
          },
        },
      ];
    }
  }
}

/** The `crm.events` types `taskActivityEntries` maps (consumer group `crm.task-activity`). */
export const TASK_ACTIVITY_EVENTS: ReadonlyArray<EventDefinition<unknown>> = [CrmTaskEvent.taskCreated, CrmTaskEvent.taskCompleted];

/**
 * crm's own task events on the related contact's timeline (`crm.task.created`, `crm.task.completed`,
 * tasks with a `contactId` only): `{ taskId, title, type, assigneeId, dueAt, priority, status }`,
 * plus `completedAt` and `nextOccurrenceId` when completed. Agent work, so no engagement.
 */
export function taskActivityEntries(event: CloudEvent): ActivityEntry[] {
  if (event.type !== CrmTaskEvent.taskCreated.type && event.type !== CrmTaskEvent.taskCompleted.type) return [];
  const task = event.data as (CrmTaskCreatedData & Partial<CrmTaskCompletedData>) | null;
  if (!task || !isUuid(task.contactId)) return [];
  const data: Record<string, unknown> = {
    taskId: task.taskId,
    title: task.title,
    type: task.type,
    assigneeId: task.assigneeId,
    dueAt: task.dueAt,
    priority: task.priority,
    status: task.status,
  };
  if (event.type === CrmTaskEvent.taskCompleted.type)
    Object.assign(data, { completedAt: task.completedAt ?? null, nextOccurrenceId: task.nextOccurrenceId ?? null });
  return [{ contactId: task.contactId, kind: event.type, engages: false, data }];
}
