import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from 'nats';
import { REALTIME_EVENT_NAME, REALTIME_PUSH_SUBJECT_PATTERN, type RealtimePushMessage } from '@keyhouse/contracts';
import { NATS_CONNECTION, NATS_OPTIONS, type NatsModuleOptions } from '@keyhouse/platform/messaging';
import { RealtimeSocketsService } from './realtime-sockets.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Fan-out across gateway replicas (docs/adr/0035 "Realtime channel"): subscribes every replica to
 * `<NATS_SUBJECT_PREFIX>*.realtime.push` with no queue group (each replica hears every push) and
 * hands each well-formed `RealtimePushMessage` to `RealtimeSocketsService.deliver`, which emits it
 * to the replica's own sockets of that user. Malformed messages are counted in the log and dropped.
 */
@Injectable()
export class RealtimeFanoutService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RealtimeFanoutService.name);
  private readonly decoder = new TextDecoder();
  private subscription: Subscription | null = null;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(NATS_OPTIONS) private readonly natsOptions: NatsModuleOptions,
    private readonly sockets: RealtimeSocketsService,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.nats.subscribe(this.natsOptions.subjectPrefix + REALTIME_PUSH_SUBJECT_PATTERN, {
      callback: (error, message) => {
        if (error) return;
        const push = parsePush(this.decoder.decode(message.data));
        if (!push) {
          this.logger.warn(`Ignored a malformed realtime push on ${message.subject}`);
          return;
        }
        this.sockets.deliver(push);
      },
    });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
    this.subscription = null;
  }
}

/** A `RealtimePushMessage` from its JSON, or null when it is not one (ids not UUIDs, event not a dotted name of ≤ 100 characters). */
export function parsePush(text: string): RealtimePushMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object') return null;
  const { orgId, userId, event, data } = value as Record<string, unknown>;
  if (typeof orgId !== 'string' || !UUID.test(orgId) || typeof userId !== 'string' || !UUID.test(userId)) return null;
  if (typeof event !== 'string' || event.length > 100 || !REALTIME_EVENT_NAME.test(event)) return null;
  return { orgId, userId: userId.toLowerCase(), event, data: data ?? null };
}
