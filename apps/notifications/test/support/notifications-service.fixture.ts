import { Client } from 'pg';
import { CrmContactEvent, IdentityEvent, NotificationsSubjects, type Actor, type NotificationDeliveryView } from '@keyhouse/contracts';
import { actorFor, testEvent, waitFor, type TestService } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';

/** A superuser connection to the service's isolation database with `search_path` notifications. */
export interface NotificationsDatabase {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  end(): Promise<void>;
}

/** Opens a `NotificationsDatabase` on `service`'s isolation database (to look at rows the API does not show). */
export async function notificationsDatabase(service: Pick<TestService, 'env' | 'isolation'>): Promise<NotificationsDatabase> {
  const client = new Client({
    host: service.env.PGHOST ?? '127.0.0.1',
    port: Number(service.env.PGPORT ?? 5432),
    user: service.env.PGUSER ?? 'postgres',
    password: service.env.PGPASSWORD,
    database: service.isolation.database,
    options: '-c search_path=notifications',
  });
  await client.connect();
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      return (await client.query(sql, params)).rows as T[];
    },
    end: () => client.end(),
  };
}

/** An agent the service knows (its `recipient` row), the lead assigned to them, and the email delivery once it left `queued`. */
export interface AssignedLeadEmail {
  agent: Actor;
  email: string;
  notificationId: string;
  delivery: NotificationDeliveryView;
}

/**
 * Publishes `identity.user.created` for a new agent of `orgId` (default a new organization) and waits for its
 * `recipient` row, then `crm.contact.assigned` of a new contact to them, and waits until the
 * `lead_assigned` notification's email delivery has left `queued` (sent, delivered or failed).
 */
export async function assignLeadAndWaitForEmail(
  svc: TestService,
  db: NotificationsDatabase,
  orgId: string = newId(),
): Promise<AssignedLeadEmail> {
  const agent = actorFor({ orgId, role: 'agent', permissions: ['notifications:read:own'] });
  const email = `agent-${agent.userId!.slice(-12)}@example.test`;
  await svc.publish('identity.events', [
    testEvent(IdentityEvent.userCreated, orgId, {
      userId: agent.userId!,
      email,
      name: 'Agent',
      role: 'agent',
      status: 'active',
      teamIds: [],
    }),
  ]);
  await waitFor(async () => (await db.query('SELECT 1 FROM recipient WHERE user_id = $1', [agent.userId])).length === 1);
  await svc.publish('crm.events', [
    testEvent(CrmContactEvent.contactAssigned, orgId, {
      contactId: newId(),
      fromAgentId: null,
      toAgentId: agent.userId!,
      pondId: null,
      ruleId: null,
      strategy: 'round_robin',
      reason: 'rule',
      respondBy: null,
    }),
  ]);
  let found: { notificationId: string; delivery: NotificationDeliveryView } | null = null;
  await waitFor(async () => {
    const [item] = (await svc.rpc.call(NotificationsSubjects.history, {}, agent)).items;
    const delivery = item?.deliveries.find((d) => d.channel === 'email');
    if (delivery && delivery.status !== 'queued') found = { notificationId: item.id, delivery };
    return found !== null;
  });
  return { agent, email, ...found! };
}
