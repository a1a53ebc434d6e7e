import { Injectable } from '@nestjs/common';
import {
  ListingsPropertySubjects as S,
  type ListingsImportChunkRequest,
  type ListingsImportResult,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { DomainException, RpcHandler, UnitOfWork, type EventContext } from '@keyhouse/platform/messaging';
import { ListingsErrorCode } from '../../listings.exception';
import { PropertyAccess } from '../properties/property-access.service';
import { PropertyWriter } from '../properties/property-writer.service';
import { InvalidKingCountyFileError, parseKingCountyCsv } from './king-county.parser';

/** Rejected rows listed in one result (the counts stay exact). */
export const MAX_REJECTED_LISTED = 1000;

/**
 * Imports a King County house-sales CSV into an organization as Closed listings (origin
 * `import`). The gateway sends a large file as several chunks (each a header and whole records,
 * under the 1 MiB NATS limit); each chunk is one transaction of batched multi-row upserts
 * (`PropertyWriter.upsertMany`), so a chunk retried after a failure, or the same file imported
 * again, creates no duplicates. Refused rows are reported with their file-wide row number and reasons.
 */
@Injectable()
export class PropertyImportService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly writer: PropertyWriter,
    private readonly access: PropertyAccess,
  ) {}

  /**
   * `listings.properties.import-chunk`: one chunk of a CSV file → `listings.property.*` per
   * created or changed listing. Needs `listings:import` at org scope (403 otherwise).
   *
   * @throws 400 `INVALID_IMPORT_FILE` (not a King County file); 403/422 for `listAgentId` as `PropertyAccess.assertMayAssign`.
   */
  @RpcHandler(S.importChunk)
  async importChunk(envelope: RequestEnvelope<ListingsImportChunkRequest>): Promise<ListingsImportResult> {
    const actor = envelope.actor!;
    requireScope(actor, 'listings:import', 'org');
    if (envelope.data.listAgentId) await this.access.assertMayAssign(envelope, envelope.data.listAgentId);
    return importKingCountyText(this.unitOfWork, this.writer, actor.orgId, envelope.data, envelope);
  }
}

/**
 * Parses, validates and upserts one King County CSV text in one unit of work (`context`: the
 * request envelope, or the CLI's system context); shared by the RPC handler and the CLI
 * (`apps/listings/src/cli/import-king-county.ts`).
 */
export async function importKingCountyText(
  unitOfWork: UnitOfWork,
  writer: PropertyWriter,
  orgId: string,
  request: ListingsImportChunkRequest,
  context: EventContext | RequestEnvelope,
): Promise<ListingsImportResult> {
  const started = Date.now();
  let parsed;
  try {
    parsed = parseKingCountyCsv(request.csv, request.listAgentId ?? null);
  } catch (error) {
    if (error instanceof InvalidKingCountyFileError) {
      throw new DomainException('validation', ListingsErrorCode.InvalidImportFile, error.message, [
        { field: 'body', message: error.message },
      ]);
    }
    throw error;
  }
  const valid = parsed.filter((row) => row.record);
  const rejected = parsed.filter((row) => !row.record);
  const summary = await unitOfWork.run(context, (unit) =>
    writer.upsertMany(
      unit,
      orgId,
      'import',
      valid.map((row) => row.record!),
    ),
  );
  return {
    rows: parsed.length,
    created: summary.created,
    updated: summary.updated,
    // Rows repeating a ListingKey within the text count as unchanged after the first.
    unchanged: valid.length - summary.created - summary.updated,
    rejected: rejected.length,
    rejectedRows: rejected
      .slice(0, MAX_REJECTED_LISTED)
      .map((row) => ({ row: row.row + request.rowOffset, listingKey: row.listingKey, reasons: row.reasons })),
    durationMs: Date.now() - started,
  };
}
