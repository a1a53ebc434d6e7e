import { Inject, Injectable, Logger } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import { realtimePushSubject, type RealtimePushMessage } from '@keyhouse/contracts';
import { NATS_CONNECTION, NATS_OPTIONS, type NatsModuleOptions } from '@keyhouse/platform/messaging';

/** The subject this service pushes on, without `NATS_SUBJECT_PREFIX` (`notifications.realtime.push`). */
export const NOTIFICATIONS_REALTIME_PUSH_SUBJECT = realtimePushSubject('notifications');

/**
 * Publishes realtime pushes on core NATS (`<NATS_SUBJECT_PREFIX>notifications.realtime.push`, a
 * plain publish: every gateway replica hears it and emits to its local sockets of the user; no
 * reply is awaited). At most once: a push published while no gateway is subscribed, or lost on
 * the way, is not repeated — the client catches up through `GET /v1/notifications?after=`.
 * Never throws: a failed publish is logged and dropped (it must not roll back or retry the event
 * that caused it, which would push its other messages twice).
 */
@Injectable()
export class RealtimePushService {
  private readonly logger = new Logger(RealtimePushService.name);
  private readonly encoder = new TextEncoder();

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(NATS_OPTIONS) private readonly options: NatsModuleOptions,
  ) {}

  /** Publishes each message, in order. */
  publish(messages: ReadonlyArray<RealtimePushMessage>): void {
    const subject = this.options.subjectPrefix + NOTIFICATIONS_REALTIME_PUSH_SUBJECT;
    for (const message of messages) {
      try {
        this.nats.publish(subject, this.encoder.encode(JSON.stringify(message)));
      } catch (error) {
        this.logger.warn(`Realtime push ${message.event} to ${message.userId} dropped: ${(error as Error).message}`);
      }
    }
  }
}
