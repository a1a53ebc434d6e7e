import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { NatsConnection } from 'nats';
import type { DataSource, EntityManager } from 'typeorm';
import {
  IDENTITY_REVOCATION_BROADCAST,
  IdentityAuthSubjects,
  type RequestEnvelope,
  type Revocation,
  type RevocationsRequest,
  type RevocationsResponse,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { NATS_CONNECTION, NATS_OPTIONS, RpcHandler, type NatsModuleOptions } from '@keyhouse/platform/messaging';
import type { IdentityDb } from '../../database/identity.db';
import type { RevocationKind } from '../../database/identity-json.type';

/** A session revocation never lapses: every token of that session is refused. */
const SESSION_NOT_BEFORE = Number.MAX_SAFE_INTEGER;

/**
 * Records access-token revocations (`token_revocation`) and announces them to gateways on the
 * NATS subject `identity.broadcast.revocation`; gateways also re-read the list periodically
 * (`identity.auth.revocations`), so a lost broadcast is corrected within the resync interval.
 */
@Injectable()
export class RevocationService {
  private readonly logger = new Logger(RevocationService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(NATS_OPTIONS) private readonly natsOptions: NatsModuleOptions,
  ) {}

  /** Revokes every access token of session (refresh-token family) `sessionId`. */
  async revokeSession(manager: EntityManager, sessionId: string): Promise<Revocation> {
    return this.record(manager, 'session', sessionId, SESSION_NOT_BEFORE);
  }

  /** Revokes every access token of `userId` issued before now. */
  async revokeUser(manager: EntityManager, userId: string): Promise<Revocation> {
    return this.record(manager, 'user', userId, Date.now());
  }

  /** Announces revocations; call after the transaction that recorded them committed. */
  broadcast(revocations: Revocation[]): void {
    if (revocations.length === 0) return;
    try {
      this.nats.publish(
        this.natsOptions.subjectPrefix + IDENTITY_REVOCATION_BROADCAST,
        new TextEncoder().encode(JSON.stringify(revocations)),
      );
    } catch (error) {
      this.logger.warn(`Revocation broadcast failed (gateways resync): ${(error as Error).message}`);
    }
  }

  /** The revocations recorded at or after `data.since` (epoch ms), oldest first: the gateways' resync. */
  @RpcHandler(IdentityAuthSubjects.revocations)
  async list(envelope: RequestEnvelope<RevocationsRequest>): Promise<RevocationsResponse> {
    return { revocations: await this.since(envelope.data.since) };
  }

  async since(sinceMs: number): Promise<Revocation[]> {
    const rows = await kyselyFor<IdentityDb>(this.dataSource)
      .selectFrom('token_revocation')
      .select(['kind', 'subject_id', 'not_before_ms', 'created_at'])
      .where('created_at', '>=', sql<Date>`to_timestamp(${sinceMs}::double precision / 1000)`)
      .orderBy('id')
      .execute();
    return rows.map((row) => ({
      kind: row.kind,
      id: row.subject_id,
      notBefore: Number(row.not_before_ms),
      at: row.created_at.getTime(),
    }));
  }

  private async record(manager: EntityManager, kind: RevocationKind, id: string, notBefore: number): Promise<Revocation> {
    await kyselyFor<IdentityDb>(manager)
      .insertInto('token_revocation')
      .values({ kind, subject_id: id, not_before_ms: notBefore })
      .execute();
    return { kind, id, notBefore, at: Date.now() };
  }
}
