import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { DataSource } from 'typeorm';
import type { CloudEvent } from '@keyhouse/contracts';
import type { TestStack } from './stack';

/** A crm event as read from Kafka, with the time this test process received it. */
export interface ReceivedEvent<T = Record<string, unknown>> {
  key: string | null;
  event: CloudEvent<T>;
  receivedAt: number;
}

/**
 * Reads the isolation's `crm.events` topic from the beginning with kafkajs into `received`, as a
 * consumer like the notifications service would.
 */
export class CrmEventLog {
  readonly received: ReceivedEvent[] = [];
  private consumer: Consumer | null = null;

  constructor(private readonly stack: TestStack) {}

  async start(): Promise<void> {
    const kafka = new Kafka({ clientId: 'crm-work-test', brokers: this.stack.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    this.consumer = kafka.consumer({ groupId: `${this.stack.isolation.id}-crm-work-test`, maxWaitTimeInMs: 100 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: `${this.stack.env.KAFKA_TOPIC_PREFIX}crm.events`, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        this.received.push({
          key: message.key?.toString() ?? null,
          event: JSON.parse(message.value!.toString()) as CloudEvent<Record<string, unknown>>,
          receivedAt: Date.now(),
        });
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }

  of<T = Record<string, unknown>>(type: string, subject?: string): Array<ReceivedEvent<T>> {
    return this.received.filter((item) => item.event.type === type && (subject === undefined || item.event.subject === subject)) as Array<
      ReceivedEvent<T>
    >;
  }

  async waitFor<T = Record<string, unknown>>(type: string, subject: string, timeoutMs = 20_000): Promise<ReceivedEvent<T>> {
    await eventually(() => this.of(type, subject).length > 0, timeoutMs);
    return this.of<T>(type, subject)[0];
  }
}

/** Polls `condition` (sync or async) every 100 ms until it holds; throws after `timeoutMs`. */
export async function eventually(condition: () => boolean | undefined | Promise<boolean | undefined>, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The crm service's data source (for read-model waits and outbox counts). */
export function crmDataSource(stack: TestStack): DataSource {
  return stack.services.crm!.get(DataSource);
}

/** Waits until the crm read model of identity's users (`org_user`) knows these users with these teams. */
export async function waitForUsersInCrm(stack: TestStack, users: Array<{ userId: string; teamIds?: string[] }>): Promise<void> {
  const dataSource = crmDataSource(stack);
  await eventually(async () => {
    const rows = (await dataSource.query(`SELECT user_id, team_ids FROM org_user WHERE user_id = ANY($1::uuid[])`, [
      users.map((u) => u.userId),
    ])) as Array<{
      user_id: string;
      team_ids: string[];
    }>;
    return users.every((user) => {
      const row = rows.find((r) => r.user_id === user.userId);
      return row && (user.teamIds ?? []).every((team) => row.team_ids.includes(team));
    });
  }, 30_000);
}

/** Outbox rows of one event type for one aggregate (what the service emitted, before Kafka). */
export async function outboxCount(stack: TestStack, type: string, subject: string): Promise<number> {
  const [{ count }] = (await crmDataSource(stack).query(
    `SELECT count(*)::int AS count FROM outbox_event WHERE event_type = $1 AND message_key = $2`,
    [type, subject],
  )) as Array<{ count: number }>;
  return count;
}

export interface ProblemBody {
  status: number;
  code: string;
  errors?: Array<{ field: string; message: string; code?: string }>;
}
