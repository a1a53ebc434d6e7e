import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter } from 'prom-client';
import type { DataSource, EntityManager } from 'typeorm';
import { AUDIT_GATEWAY_EVENTS_TOPIC, IdentityEventTypes, type CloudEvent } from '@keyhouse/contracts';
import { createKafka, EventConsumer, Inbox } from '@keyhouse/platform/messaging';
import { AUDIT_CONFIG, type AuditConfig } from '../../config/audit.config';
import { draftFromEvent } from '../ledger/audit-entry.mapper';
import { AuditLedger } from '../ledger/audit-ledger.service';

/** Topics the audit trail records (without `KAFKA_TOPIC_PREFIX`): every service's events and the gateway's refusals. */
export const AUDITED_TOPICS = ['identity.events', 'crm.events', 'listings.events', 'deals.events', AUDIT_GATEWAY_EVENTS_TOPIC];

/** Inbox consumer name (one per audit trail, so every event is recorded once). */
export const AUDIT_INBOX_CONSUMER = 'audit.trail';

const recorded = new Counter({ name: 'audit_entries_recorded_total', help: 'Audit entries appended to a chain', labelNames: ['topic'] });
const duplicates = new Counter({ name: 'audit_events_duplicate_total', help: 'Redelivered events skipped by the inbox', labelNames: ['topic'] });

/**
 * One Kafka consumer group (`audit`) over `AUDITED_TOPICS`. Each event becomes, in one transaction,
 * an inbox row and a chained entry (`AuditLedger.append`), so a redelivery after a crash or a
 * rebalance is skipped: exactly one entry per event id. Offsets are committed after the commit
 * (at-least-once delivery + inbox = effectively once). Identity's user and team events also keep
 * `audit_org_member` up to date (managers' team scope).
 */
@Injectable()
export class AuditIngestConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditIngestConsumer.name);
  private consumer: EventConsumer | null = null;
  private readonly inbox: Inbox;

  constructor(
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: AuditLedger,
  ) {
    this.inbox = new Inbox(dataSource, config.AUDIT_DATABASE_SCHEMA);
  }

  async onApplicationBootstrap(): Promise<void> {
    const prefix = this.config.KAFKA_TOPIC_PREFIX;
    const kafka = createKafka({ clientId: 'audit', brokers: this.config.KAFKA_BROKERS, topicPrefix: prefix });
    this.consumer = new EventConsumer(kafka, {
      groupId: `${prefix}audit.trail`,
      topics: AUDITED_TOPICS.map((topic) => prefix + topic),
      handle: async (event, meta) => {
        await this.record(event, meta.topic);
      },
    });
    await this.consumer.start();
    this.logger.log(`Recording ${AUDITED_TOPICS.join(', ')}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = null;
  }

  /** Liveness: time of the consumer's last poll (ms since epoch). */
  get lastPollAt(): number {
    return this.consumer?.lastPollAt ?? Date.now();
  }

  /** Records one event; returns false for a duplicate. */
  async record(event: CloudEvent, topic = 'direct'): Promise<boolean> {
    const draft = draftFromEvent(event);
    const processed = await this.inbox.processOnce(AUDIT_INBOX_CONSUMER, { id: draft.eventId, type: draft.action }, async (manager) => {
      await this.ledger.append(manager, draft);
      await this.trackMembership(manager, event);
    });
    (processed ? recorded : duplicates).inc({ topic });
    return processed;
  }

  private async trackMembership(manager: EntityManager, event: CloudEvent): Promise<void> {
    const data = (event.data ?? {}) as { userId?: unknown; teamIds?: unknown; to?: unknown };
    let teamIds: unknown;
    if (event.type === IdentityEventTypes.userCreated) teamIds = data.teamIds;
    else if (event.type === IdentityEventTypes.userTeamsChanged) teamIds = data.to;
    else return;
    if (typeof data.userId !== 'string' || !Array.isArray(teamIds)) return;
    await manager.query(
      `INSERT INTO audit_org_member (org_id, user_id, team_ids) VALUES ($1, $2, $3)
       ON CONFLICT (org_id, user_id) DO UPDATE SET team_ids = EXCLUDED.team_ids, updated_at = now()`,
      [event.orgid, data.userId, teamIds.filter((id): id is string => typeof id === 'string')],
    );
  }
}
