import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { InjectQueue, Process, Processor, type Queue } from '@keyhouse/platform/queue';
import { ACCESS_TOKEN_TTL_SECONDS } from '@keyhouse/platform/auth';

export const IDENTITY_MAINTENANCE_QUEUE = 'identity.maintenance';
/** How often the prune job runs, in milliseconds. */
export const PRUNE_EVERY_MS = 10 * 60_000;

/** Retention of expired security records (days). */
export const RETENTION_DAYS = {
  loginAttempts: 30,
  oneTimeTokens: 7,
  refreshTokens: 7,
  inbox: 30,
} as const;

/**
 * Repeatable Bull job that prunes what identity no longer needs: login attempts past the audit
 * horizon, spent or expired one-time and refresh tokens, revocations older than any access token,
 * and processed inbox entries. Idempotent (plain deletes by age), so a retry is harmless.
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

  @Process('prune')
  async prune(): Promise<Record<string, number>> {
    const statements: Record<string, [string, unknown[]]> = {
      loginAttempts: [`DELETE FROM login_attempt WHERE created_at < now() - make_interval(days => $1)`, [RETENTION_DAYS.loginAttempts]],
      oneTimeTokens: [
        `DELETE FROM one_time_token WHERE coalesce(used_at, expires_at) < now() - make_interval(days => $1)`,
        [RETENTION_DAYS.oneTimeTokens],
      ],
      refreshTokens: [`DELETE FROM refresh_token WHERE expires_at < now() - make_interval(days => $1)`, [RETENTION_DAYS.refreshTokens]],
      revocations: [`DELETE FROM token_revocation WHERE created_at < now() - make_interval(secs => $1)`, [ACCESS_TOKEN_TTL_SECONDS * 4]],
      inbox: [`DELETE FROM inbox_event WHERE received_at < now() - make_interval(days => $1)`, [RETENTION_DAYS.inbox]],
    };
    const removed: Record<string, number> = {};
    for (const [name, [sql, params]] of Object.entries(statements)) {
      const result = (await this.dataSource.query(sql, params)) as [unknown[], number];
      removed[name] = result[1];
    }
    this.logger.log({ removed }, 'Pruned expired identity records');
    return removed;
  }
}
