import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource } from 'typeorm';
import { InjectQueue, Process, Processor, type Queue } from '@keyhouse/platform/queue';
import { ACCESS_TOKEN_TTL_SECONDS } from '@keyhouse/platform/auth';
import { kyselyFor } from '@keyhouse/platform/database';
import type { IdentityDb } from '../../database/identity.db';

export const IDENTITY_MAINTENANCE_QUEUE = 'identity.maintenance';
/** How often the prune job runs, in milliseconds. */
export const PRUNE_EVERY_MS = 10 * 60_000;

/** Retention of expired security records (days). */
export const RETENTION_DAYS = {
  loginAttempts: 30,
  /** Wrong second-factor codes count for 15 minutes; a day leaves room for investigation. */
  mfaFailures: 1,
  oneTimeTokens: 7,
  refreshTokens: 7,
  inbox: 30,
} as const;

/**
 * Repeatable Bull job that prunes what identity no longer needs: login attempts past the audit
 * horizon, wrong second-factor codes past a day, spent or expired one-time and refresh tokens,
 * revocations older than any access token, and processed inbox entries. Idempotent (plain
 * deletes by age), so a retry is harmless.
 */
@Processor(IDENTITY_MAINTENANCE_QUEUE)
export class IdentityMaintenanceJob implements OnApplicationBootstrap {
  private readonly logger = new Logger(IdentityMaintenanceJob.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(IDENTITY_MAINTENANCE_QUEUE) private readonly queue: Queue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Same repeat options from every replica: Bull keeps one schedule.
    await this.queue.add('prune', {}, { repeat: { every: PRUNE_EVERY_MS }, jobId: 'identity-prune' });
  }

  /** Deletes what is past its retention, one statement per kind; returns the rows removed per kind. */
  @Process('prune')
  async prune(): Promise<Record<string, number>> {
    const db = kyselyFor<IdentityDb>(this.dataSource);
    const daysAgo = (days: number) => sql<Date>`now() - make_interval(days => ${days})`;
    const statements = {
      loginAttempts: db.deleteFrom('login_attempt').where('created_at', '<', daysAgo(RETENTION_DAYS.loginAttempts)),
      mfaFailures: db.deleteFrom('mfa_failure').where('created_at', '<', daysAgo(RETENTION_DAYS.mfaFailures)),
      oneTimeTokens: db
        .deleteFrom('one_time_token')
        .where((eb) => eb(eb.fn.coalesce('used_at', 'expires_at'), '<', daysAgo(RETENTION_DAYS.oneTimeTokens))),
      refreshTokens: db.deleteFrom('refresh_token').where('expires_at', '<', daysAgo(RETENTION_DAYS.refreshTokens)),
      revocations: db
        .deleteFrom('token_revocation')
        .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${ACCESS_TOKEN_TTL_SECONDS * 4})`),
      inbox: db.deleteFrom('inbox_event').where('received_at', '<', daysAgo(RETENTION_DAYS.inbox)),
    };
    const removed: Record<string, number> = {};
    for (const [name, statement] of Object.entries(statements)) {
      const result = await statement.executeTakeFirst();
      removed[name] = Number(result.numDeletedRows);
    }
    this.logger.log({ removed }, 'Pruned expired identity records');
    return removed;
  }
}
