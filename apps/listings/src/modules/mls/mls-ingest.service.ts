import { Injectable } from '@nestjs/common';
import { ListingsMlsSubjects as S, type MlsWebhookRequest, type MlsWebhookResponse, type RequestEnvelope } from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { DomainException, RpcHandler, UnitOfWork, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { PropertyWriter } from '../properties/property-writer.service';
import { mapResoProperty } from './reso-property.mapper';

/** Largest batch accepted by the webhook. */
export const MLS_WEBHOOK_MAX_RECORDS = 1000;

export interface IngestResult {
  created: number;
  updated: number;
  unchanged: number;
  removed: number;
  failed: Array<{ index: number; listingKey: string | null; reasons: string[] }>;
  /** Largest ModificationTimestamp among the valid records (the pull's next high-water mark). */
  maxModificationTimestamp: string | null;
}

/**
 * Applies RESO Property records from an MLS (the pull job's pages and the partner webhook):
 * valid records are upserted by ListingKey (origin `mls`; an older ModificationTimestamp than the
 * stored one is ignored, an identical record changes nothing), `StandardStatus: Delete` removes,
 * and invalid records are reported by index with reasons without failing the others.
 */
@Injectable()
export class MlsIngestService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly writer: PropertyWriter,
  ) {}

  /**
   * `listings.mls.webhook`: a partner's push of at most 1 000 RESO records, applied in one unit of
   * work. Needs `listings:write` at org scope (403 otherwise); 400 when `value` is not such an array.
   */
  @RpcHandler(S.webhook)
  async webhook(envelope: RequestEnvelope<MlsWebhookRequest>): Promise<MlsWebhookResponse> {
    const actor = envelope.actor!;
    requireScope(actor, 'listings:write', 'org');
    const records = envelope.data.value;
    if (!Array.isArray(records) || records.length > MLS_WEBHOOK_MAX_RECORDS) {
      throw DomainException.validation([{ field: 'value', message: `must be an array of at most ${MLS_WEBHOOK_MAX_RECORDS} records` }]);
    }
    const result = await this.unitOfWork.run(envelope, (unit) => this.apply(unit, actor.orgId, records));
    const { maxModificationTimestamp: _ignored, ...answer } = result;
    return { received: records.length, ...answer };
  }

  /** Applies `records` in the caller's unit of work (the webhook's, or one page of a pull with its source). */
  async apply(unit: UnitOfWorkContext, orgId: string, records: unknown[], mlsSourceId?: string): Promise<IngestResult> {
    const result: IngestResult = { created: 0, updated: 0, unchanged: 0, removed: 0, failed: [], maxModificationTimestamp: null };
    const upserts = [];
    const removals: string[] = [];
    for (const [index, raw] of records.entries()) {
      // The high-water mark passes refused records too: they are reported on the run, and the MLS
      // sends them again with a newer ModificationTimestamp once corrected.
      const stamp = timestampOf(raw);
      if (stamp && (!result.maxModificationTimestamp || stamp > result.maxModificationTimestamp)) result.maxModificationTimestamp = stamp;
      const mapped = mapResoProperty(raw);
      if (mapped.kind === 'invalid') {
        result.failed.push({ index, listingKey: mapped.listingKey, reasons: mapped.reasons });
        continue;
      }
      if (mapped.kind === 'remove') removals.push(mapped.listingKey);
      else upserts.push(mapped.record);
    }
    const summary = await this.writer.upsertMany(unit, orgId, 'mls', upserts, { mlsSourceId });
    result.created = summary.created;
    result.updated = summary.updated;
    result.unchanged = upserts.length - summary.created - summary.updated;
    result.removed = await this.writer.removeByListingKeys(unit, orgId, removals);
    result.unchanged += removals.length - result.removed;
    return result;
  }
}

function timestampOf(raw: unknown): string | null {
  const value = raw && typeof raw === 'object' ? (raw as Record<string, unknown>).ModificationTimestamp : undefined;
  if (typeof value !== 'string') return null;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? null : parsed.toISOString();
}
