import {
  CrmContactEvent,
  CrmTaskEvent,
  DealsEvent,
  IdentityEvent,
  ListingsEvent,
  NotificationTriggersSubjects,
  type Actor,
  type CloudEvent,
  type CrmContactAssignedData,
  type CrmTaskReminderDueData,
  type InvoiceView,
  type TransactionOfferView,
} from '@keyhouse/contracts';
import { actorFor, refusalOf, startService, testEvent, waitFor, type TestService } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startNotifications } from '../../src/main';
import { notificationsDatabase, type NotificationsDatabase } from '../support/notifications-service.fixture';

/** One notification row as these tests look at it: type, recipient, title/body, data, link, and its delivery channels in order. */
interface Created {
  type: string;
  recipient: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  link: string | null;
  channels: string[];
}

function taskSnapshot(assigneeId: string, title = 'Call the buyer') {
  return {
    taskId: newId(),
    title,
    type: 'call' as const,
    contactId: null,
    dealId: null,
    listingId: null,
    assigneeId,
    dueAt: '2026-12-24T10:00:00.000Z',
    status: 'open' as const,
    priority: 'normal' as const,
    recurrence: null,
    seriesId: null,
  };
}

function offer(transactionId: string, amount: number): TransactionOfferView {
  return {
    id: newId(),
    propertyId: newId(),
    transactionId,
    buyerContactId: null,
    buyerName: 'Dana Buyer',
    amount,
    earnestMoney: 1_000_000,
    financingType: 'conventional',
    contingencies: ['inspection'],
    expiresAt: null,
    status: 'accepted',
    acceptedAt: '2026-12-07T15:00:00.000Z',
    createdAt: '2026-12-07T14:00:00.000Z',
    updatedAt: '2026-12-07T15:00:00.000Z',
  } as TransactionOfferView;
}

function paidInvoice(total: number): InvoiceView {
  return {
    id: newId(),
    number: 'INV-0042',
    transactionId: null,
    agentId: null,
    billTo: { name: 'Acme Relocation' },
    status: 'paid',
    issueDate: '2026-12-01',
    dueDate: '2026-12-31',
    lineItems: [],
    total,
    paid: total,
    balance: 0,
    notes: null,
    payments: [],
    sentAt: '2026-12-01T10:00:00.000Z',
    paidAt: '2026-12-07T10:00:00.000Z',
    overdueAt: null,
    voidedAt: null,
    createdAt: '2026-12-01T09:00:00.000Z',
    updatedAt: '2026-12-07T10:00:00.000Z',
  } as InvoiceView;
}

/**
 * The built-in triggers for users (issue 14 "Triggers and history") and the per-organization
 * switches: the notifications service alone, domain events in over Kafka (`publish`), the switches
 * over NATS, rows read from its schema. SMS is off (no `TWILIO_ACCOUNT_SID`), push has no devices.
 */
describe('notifications: the built-in triggers and the per-organization switches (service over NATS and Kafka)', () => {
  let svc: TestService;
  let db: NotificationsDatabase;

  beforeAll(async () => {
    svc = await startService(startNotifications);
    db = await notificationsDatabase(svc);
  });

  afterAll(async () => {
    await db?.end();
    await svc?.stop();
  });

  /** A user of `orgId` known to the recipients read model (published as `identity.user.created`, awaited). */
  async function user(orgId: string, role: string, teamIds: string[] = [], name = `The ${role}`): Promise<Actor & { userId: string }> {
    const actor = actorFor({ orgId, role, permissions: role === 'owner' || role === 'admin' ? ['notifications:manage:org'] : [], teamIds });
    await svc.publish('identity.events', [
      testEvent(IdentityEvent.userCreated, orgId, {
        userId: actor.userId!,
        email: `${role}-${actor.userId!.slice(-12)}@example.test`,
        name,
        role,
        status: 'active',
        teamIds,
      }),
    ]);
    await waitFor(async () => (await db.query('SELECT 1 FROM recipient WHERE user_id = $1', [actor.userId])).length === 1);
    return { ...actor, userId: actor.userId! };
  }

  /** The notifications for users created from `event` (its id is the source event id), by recipient; contact notifications left out. */
  async function createdFrom(event: CloudEvent<unknown>): Promise<Created[]> {
    return db.query<Created>(
      `SELECT n.type, n.recipient_user_id AS recipient, n.title, n.body, n.data, n.link,
              coalesce(array_agg(d.channel::text ORDER BY d.created_at, d.id) FILTER (WHERE d.id IS NOT NULL), '{}') AS channels
         FROM notification n LEFT JOIN delivery d ON d.notification_id = n.id
        WHERE n.source_event_id = $1 AND n.recipient_user_id IS NOT NULL
        GROUP BY n.id
        ORDER BY n.recipient_user_id`,
      [event.id],
    );
  }

  /** Waits until `event` was handled by the triggers' consumer group (its inbox row). */
  async function handled(event: CloudEvent<unknown>): Promise<void> {
    await waitFor(
      async () =>
        (await db.query(`SELECT 1 FROM inbox_event WHERE event_id = $1 AND consumer = 'notifications.triggers'`, [event.id])).length === 1,
    );
  }

  const sorted = (...ids: string[]) => [...ids].sort();

  it('speed-to-lead: a lead re-routed by the system notifies the new agent and the managers of both agents’ teams, not lead_assigned', async () => {
    const orgId = newId();
    const [teamA, teamB] = [newId(), newId()];
    const lapsed = await user(orgId, 'agent', [teamA], 'Lapsed Larry');
    const next = await user(orgId, 'agent', [teamB], 'Next Nora');
    const managerA = await user(orgId, 'manager', [teamA]);
    const managerB = await user(orgId, 'manager', [teamB]);
    const otherManager = await user(orgId, 'manager', [newId()]);
    const contactId = newId();
    const data: CrmContactAssignedData = {
      contactId,
      fromAgentId: lapsed.userId,
      toAgentId: next.userId,
      pondId: null,
      ruleId: newId(),
      strategy: 'round_robin',
      reason: 'Speed-to-lead: not contacted by 2026-12-07T10:05:00.000Z; re-routed. Round robin of rule Web leads',
      respondBy: '2026-12-07T10:10:00.000Z',
    };
    const event = testEvent(CrmContactEvent.contactAssigned, orgId, data, { subject: contactId });
    await svc.publish('crm.events', [event]);
    await handled(event);
    const created = await createdFrom(event);
    expect(created.map((n) => [n.recipient, n.type])).toEqual(
      sorted(next.userId, managerA.userId, managerB.userId).map((id) => [id, 'lead_rerouted']),
    );
    expect(created.map((n) => n.recipient)).not.toContain(otherManager.userId);
    expect(created[0]).toMatchObject({
      title: 'Lead re-routed: not contacted in time',
      body: 'Lapsed Larry did not contact the lead in time; it now goes to Next Nora. The lead was re-routed by speed-to-lead (round robin). Respond by 2026-12-07T10:10:00.000Z.',
      data: { contactId, fromAgentId: lapsed.userId, toAgentId: next.userId, strategy: 'round_robin' },
      link: `/contacts/${contactId}`,
      channels: ['in_app', 'email'],
    });
  });

  it('a task reminder and an overdue task notify the assignee; the same reminder event twice makes one notification', async () => {
    const orgId = newId();
    const assignee = await user(orgId, 'agent');
    const reminderData: CrmTaskReminderDueData = {
      ...taskSnapshot(assignee.userId, 'Send the disclosures'),
      offsetMinutes: 60,
      remindAt: '2026-12-24T09:00:00.000Z',
    };
    const reminder = testEvent(CrmTaskEvent.taskReminderDue, orgId, reminderData, { subject: reminderData.taskId });
    const overdue = testEvent(CrmTaskEvent.taskOverdue, orgId, taskSnapshot(assignee.userId, 'Call back'), {
      subject: reminderData.taskId,
    });
    await svc.publish('crm.events', [reminder, reminder, overdue]);
    await svc.publish('crm.events', [reminder]);
    await handled(overdue);
    expect(await createdFrom(reminder)).toEqual([
      {
        type: 'task_reminder',
        recipient: assignee.userId,
        title: 'Reminder: Send the disclosures',
        body: 'Your task "Send the disclosures" is due 2026-12-24T10:00:00.000Z.',
        data: { taskId: reminderData.taskId, contactId: null, dueAt: '2026-12-24T10:00:00.000Z', offsetMinutes: 60 },
        link: `/tasks/${reminderData.taskId}`,
        channels: ['in_app', 'email'],
      },
    ]);
    expect((await createdFrom(overdue)).map((n) => [n.type, n.recipient, n.title, n.channels])).toEqual([
      ['task_overdue', assignee.userId, 'Overdue: Call back', ['in_app']],
    ]);
  });

  it('a trigger event older than 48 hours notifies nobody (a first deployment reads the topic’s retained history)', async () => {
    const orgId = newId();
    const assignee = await user(orgId, 'agent');
    const task = taskSnapshot(assignee.userId, 'Old reminder');
    const reminderData: CrmTaskReminderDueData = { ...task, offsetMinutes: 60, remindAt: '2026-12-24T09:00:00.000Z' };
    const stale = testEvent(CrmTaskEvent.taskReminderDue, orgId, reminderData, {
      subject: task.taskId,
      time: new Date(Date.now() - 49 * 3600 * 1000).toISOString(),
    });
    // Same subject, so the same partition: the fresh one is handled after the stale one.
    const fresh = testEvent(CrmTaskEvent.taskReminderDue, orgId, reminderData, {
      subject: task.taskId,
      time: new Date(Date.now() - 47 * 3600 * 1000).toISOString(),
    });
    await svc.publish('crm.events', [stale, fresh]);
    await handled(fresh);
    expect(await createdFrom(stale)).toEqual([]);
    expect((await createdFrom(fresh)).map((n) => [n.type, n.recipient])).toEqual([['task_reminder', assignee.userId]]);
  });

  it('a system-created task (a contract deadline’s) notifies its assignee with task_assigned', async () => {
    const orgId = newId();
    const agent = await user(orgId, 'agent');
    const created = testEvent(CrmTaskEvent.taskCreated, orgId, {
      ...taskSnapshot(agent.userId, 'Inspection deadline'),
      previousOccurrenceId: null,
    });
    await svc.publish('crm.events', [created]);
    await handled(created);
    expect((await createdFrom(created)).map((n) => [n.type, n.recipient, n.body])).toEqual([
      ['task_assigned', agent.userId, 'Keyhouse assigned you a task due 2026-12-24T10:00:00.000Z.'],
    ]);
  });

  it('deals: key-date reminders, missed deadlines and accepted offers reach the transaction’s agents (read model from deals’ events)', async () => {
    const orgId = newId();
    const lead = await user(orgId, 'agent');
    const partner = await user(orgId, 'agent');
    const bystander = await user(orgId, 'agent');
    const transactionId = newId();
    const at = { subject: transactionId };
    const stage = testEvent(
      DealsEvent.transactionStageChanged,
      orgId,
      {
        transactionId,
        pipelineId: newId(),
        from: null,
        to: 'under_contract',
        outcome: 'open' as const,
        agentId: lead.userId,
        closePrice: null,
        closeDate: null,
        buyerContactIds: [],
        sellerContactIds: [],
      },
      at,
    );
    const team = testEvent(
      DealsEvent.transactionUpdated,
      orgId,
      { transactionId, changes: { team: { from: [], to: [{ agentId: partner.userId, shareBps: 5000 }] } } },
      at,
    );
    const reminder = testEvent(
      DealsEvent.dateReminderDue,
      orgId,
      {
        transactionId,
        key: 'inspection_deadline',
        date: '2026-12-17',
        offsetMinutes: 1440,
        remindAt: '2026-12-16T09:00:00.000Z',
        agentId: lead.userId,
        agentIds: [lead.userId, partner.userId],
      },
      at,
    );
    const missed = testEvent(
      DealsEvent.deadlineMissed,
      orgId,
      { transactionId, key: 'appraisal_deadline', dueDate: '2026-12-20', agentId: lead.userId },
      at,
    );
    // Accepted by the lead agent: the partner is told, not the one who accepted it.
    const accepted = testEvent(
      DealsEvent.offerAccepted,
      orgId,
      { offer: offer(transactionId, 45_000_000) },
      {
        ...at,
        actortype: 'user',
        actorid: lead.userId,
      },
    );
    await svc.publish('deals.events', [stage, team, reminder, missed, accepted, accepted]);
    await handled(accepted);
    expect((await createdFrom(reminder)).map((n) => [n.recipient, n.type, n.title, n.body, n.link, n.channels])).toEqual(
      sorted(lead.userId, partner.userId).map((id) => [
        id,
        'deal_date_reminder',
        'Coming up: inspection deadline on 2026-12-17',
        'The inspection deadline of a transaction you work on is due 2026-12-17.',
        `/transactions/${transactionId}`,
        ['in_app', 'email'],
      ]),
    );
    // deals.deadline.missed names the lead agent only: the partner comes from the read model.
    expect((await createdFrom(missed)).map((n) => [n.recipient, n.type, n.title])).toEqual(
      sorted(lead.userId, partner.userId).map((id) => [id, 'deal_deadline_missed', 'Missed deadline: appraisal deadline']),
    );
    expect(await createdFrom(accepted)).toEqual([
      expect.objectContaining({
        type: 'offer_accepted',
        recipient: partner.userId,
        title: 'Offer accepted: $450,000.00',
        body: 'The offer of $450,000.00 from Dana Buyer on a transaction you work on was accepted.',
        data: { transactionId, offerId: accepted.data.offer.id, amount: 45_000_000 },
      }),
    ]);
    const seen = await db.query<{ recipient_user_id: string }>('SELECT recipient_user_id FROM notification WHERE org_id = $1', [orgId]);
    expect(seen.map((row) => row.recipient_user_id)).not.toContain(bystander.userId);
  });

  it('an invoice paid notifies the owners and admins once, not the admin who recorded the payment, nor managers and agents', async () => {
    const orgId = newId();
    const owner = await user(orgId, 'owner');
    const admin = await user(orgId, 'admin');
    const recorder = await user(orgId, 'admin');
    await user(orgId, 'manager');
    await user(orgId, 'agent');
    const invoice = paidInvoice(123_456);
    const paid = testEvent(
      DealsEvent.invoicePaid,
      orgId,
      { invoice },
      { subject: invoice.id, actortype: 'user', actorid: recorder.userId },
    );
    await svc.publish('deals.events', [paid]);
    await svc.publish('deals.events', [paid]);
    await handled(paid);
    expect((await createdFrom(paid)).map((n) => [n.recipient, n.type, n.title, n.body, n.link])).toEqual(
      sorted(owner.userId, admin.userId).map((id) => [
        id,
        'invoice_paid',
        'Invoice INV-0042 paid',
        'Invoice INV-0042 to Acme Relocation is paid in full ($1,234.56).',
        `/invoices/${invoice.id}`,
      ]),
    );
  });

  it('a saved-search match notifies the contact’s agent; a self-registered client notifies the agent, or the owners and admins', async () => {
    const orgId = newId();
    const agent = await user(orgId, 'agent');
    const owner = await user(orgId, 'owner');
    const admin = await user(orgId, 'admin');
    const [owned, unowned] = [newId(), newId()];
    // The contacts read model as crm's events leave it (kept by the notifications.contacts consumer).
    await db.query(`INSERT INTO contact_recipient (contact_id, org_id, owner_id) VALUES ($1, $3, $2), ($4, $3, NULL)`, [
      owned,
      agent.userId,
      orgId,
      unowned,
    ]);
    const match = testEvent(ListingsEvent.searchMatched, orgId, {
      savedSearchId: newId(),
      contactId: owned,
      propertyId: newId(),
      listingKey: 'NWM-1001',
    });
    const unownedMatch = testEvent(ListingsEvent.searchMatched, orgId, {
      savedSearchId: newId(),
      contactId: unowned,
      propertyId: newId(),
      listingKey: 'NWM-1002',
    });
    await svc.publish('listings.events', [match, unownedMatch]);
    const clientId = newId();
    const registered = testEvent(IdentityEvent.userCreated, orgId, {
      userId: clientId,
      email: 'client@example.test',
      name: 'Casey Client',
      role: 'client',
      status: 'active',
      teamIds: [],
      contactId: owned,
    });
    const linked = testEvent(IdentityEvent.userContactLinked, orgId, {
      userId: clientId,
      contactId: unowned,
      via: 'email_verification' as const,
    });
    await svc.publish('identity.events', [registered, linked]);
    // Each event has its own subject, so its own partition: wait for every one.
    for (const event of [match, unownedMatch, registered, linked]) await handled(event);
    expect((await createdFrom(match)).map((n) => [n.recipient, n.type, n.body, n.link, n.channels])).toEqual([
      [
        agent.userId,
        'contact_search_matched',
        'Listing NWM-1001 matches a saved search of one of your contacts.',
        `/contacts/${owned}`,
        ['in_app'],
      ],
    ]);
    expect(await createdFrom(unownedMatch)).toEqual([]);
    expect((await createdFrom(registered)).map((n) => [n.recipient, n.type, n.title])).toEqual([
      [agent.userId, 'client_registered', 'A client joined the portal: Casey Client'],
    ]);
    expect((await createdFrom(linked)).map((n) => [n.recipient, n.type, n.data])).toEqual(
      sorted(owner.userId, admin.userId).map((id) => [id, 'client_registered', { contactId: unowned, clientUserId: clientId }]),
    );
  });

  it('an owner switches a trigger off (audited event): it creates nothing in that organization, other organizations are untouched', async () => {
    const orgId = newId();
    const otherOrgId = newId();
    const admin = await user(orgId, 'admin');
    const agent = await user(orgId, 'agent');
    const otherAgent = await user(otherOrgId, 'agent');
    const otherAdmin = await user(otherOrgId, 'admin');
    const updated = await svc.rpc.call(NotificationTriggersSubjects.update, { type: 'task_reminder', enabled: false }, admin);
    expect(updated).toMatchObject({
      type: 'task_reminder',
      enabled: false,
      enabledByDefault: true,
      channels: null,
      updatedBy: admin.userId,
    });
    const outbox = await db.query<{ event_type: string; payload: { data: unknown } }>(
      `SELECT event_type, payload FROM outbox_event WHERE event_type = 'notifications.trigger.updated' AND payload->>'orgid' = $1`,
      [orgId],
    );
    expect(outbox.map((row) => [row.event_type, row.payload.data])).toEqual([
      ['notifications.trigger.updated', { type: 'task_reminder', enabled: false, channels: null, from: { enabled: true, channels: null } }],
    ]);
    const mine = testEvent(CrmTaskEvent.taskReminderDue, orgId, {
      ...taskSnapshot(agent.userId),
      offsetMinutes: 15,
      remindAt: '2026-12-24T09:45:00.000Z',
    });
    const theirs = testEvent(CrmTaskEvent.taskReminderDue, otherOrgId, {
      ...taskSnapshot(otherAgent.userId),
      offsetMinutes: 15,
      remindAt: '2026-12-24T09:45:00.000Z',
    });
    await svc.publish('crm.events', [mine, theirs]);
    await handled(mine);
    await handled(theirs);
    expect(await createdFrom(mine)).toEqual([]);
    expect((await createdFrom(theirs)).map((n) => n.type)).toEqual(['task_reminder']);
    const mineList = await svc.rpc.call(NotificationTriggersSubjects.list, {}, admin);
    const theirList = await svc.rpc.call(NotificationTriggersSubjects.list, {}, otherAdmin);
    expect(mineList.items.find((t) => t.type === 'task_reminder')).toMatchObject({ enabled: false, updatedBy: admin.userId });
    expect(theirList.items.find((t) => t.type === 'task_reminder')).toMatchObject({ enabled: true, updatedBy: null, updatedAt: null });
    // Back on: the next reminder is created again.
    await svc.rpc.call(NotificationTriggersSubjects.update, { type: 'task_reminder', enabled: true }, admin);
    const later = testEvent(CrmTaskEvent.taskReminderDue, orgId, {
      ...taskSnapshot(agent.userId),
      offsetMinutes: 5,
      remindAt: '2026-12-24T09:55:00.000Z',
    });
    await svc.publish('crm.events', [later]);
    await handled(later);
    expect((await createdFrom(later)).map((n) => n.recipient)).toEqual([agent.userId]);
  });

  it('an organization’s channels for a trigger replace its default channels for that organization only', async () => {
    const orgId = newId();
    const admin = await user(orgId, 'admin');
    const agent = await user(orgId, 'agent');
    const other = await user(newId(), 'agent');
    await svc.rpc.call(NotificationTriggersSubjects.update, { type: 'task_reminder', enabled: true, channels: ['in_app'] }, admin);
    const reminder = (assigneeId: string, org: string) =>
      testEvent(CrmTaskEvent.taskReminderDue, org, {
        ...taskSnapshot(assigneeId),
        offsetMinutes: 30,
        remindAt: '2026-12-24T09:30:00.000Z',
      });
    const mine = reminder(agent.userId, orgId);
    const theirs = reminder(other.userId, other.orgId);
    await svc.publish('crm.events', [mine, theirs]);
    await handled(mine);
    await handled(theirs);
    expect((await createdFrom(mine)).map((n) => [n.type, n.channels])).toEqual([['task_reminder', ['in_app']]]);
    expect((await createdFrom(theirs)).map((n) => [n.type, n.channels])).toEqual([['task_reminder', ['in_app', 'email']]]);
  });

  it('with lead_rerouted off, the new agent of a speed-to-lead re-route gets lead_assigned and the managers nothing', async () => {
    const orgId = newId();
    const teamId = newId();
    const admin = await user(orgId, 'admin');
    const lapsed = await user(orgId, 'agent', [teamId]);
    const next = await user(orgId, 'agent', [teamId]);
    await user(orgId, 'manager', [teamId]);
    await svc.rpc.call(NotificationTriggersSubjects.update, { type: 'lead_rerouted', enabled: false }, admin);
    const event = testEvent(CrmContactEvent.contactAssigned, orgId, {
      contactId: newId(),
      fromAgentId: lapsed.userId,
      toAgentId: next.userId,
      pondId: null,
      ruleId: null,
      strategy: 'round_robin',
      reason: 'Speed-to-lead: not contacted by the deadline; re-routed. rule',
      respondBy: null,
    });
    await svc.publish('crm.events', [event]);
    await handled(event);
    expect((await createdFrom(event)).map((n) => [n.recipient, n.type])).toEqual([[next.userId, 'lead_assigned']]);
  });

  it('lists every built-in trigger; only notifications:manage at org changes them; an unknown type is 404', async () => {
    const orgId = newId();
    const admin = await user(orgId, 'admin');
    const list = await svc.rpc.call(NotificationTriggersSubjects.list, {}, admin);
    expect(list.items.map((t) => t.type)).toEqual([
      'lead_assigned',
      'task_assigned',
      'lead_rerouted',
      'task_reminder',
      'task_overdue',
      'deal_date_reminder',
      'deal_deadline_missed',
      'offer_accepted',
      'invoice_paid',
      'contact_search_matched',
      'client_registered',
    ]);
    expect(list.items.find((t) => t.type === 'invoice_paid')).toMatchObject({
      events: ['deals.invoice.paid'],
      template: { title: 'Invoice {{invoiceNumber}} paid', action: 'Open the invoice' },
      enabled: true,
      channels: null,
    });
    expect(list.items.find((t) => t.type === 'client_registered')?.events).toEqual([
      'identity.user.created',
      'identity.user.contact_linked',
    ]);
    const changed = await svc.rpc.call(
      NotificationTriggersSubjects.update,
      { type: 'offer_accepted', enabled: true, channels: ['in_app'] },
      admin,
    );
    expect(changed).toMatchObject({ enabled: true, channels: ['in_app'], defaultChannels: ['in_app', 'email'] });
    const unchangedChannels = await svc.rpc.call(NotificationTriggersSubjects.update, { type: 'offer_accepted', enabled: false }, admin);
    expect(unchangedChannels).toMatchObject({ enabled: false, channels: ['in_app'] });
    const reset = await svc.rpc.call(NotificationTriggersSubjects.update, { type: 'offer_accepted', enabled: true, channels: null }, admin);
    expect(reset).toMatchObject({ enabled: true, channels: null });
    const agent = actorFor({ orgId, role: 'agent', permissions: ['notifications:read:own'] });
    const teamManager = actorFor({ orgId, role: 'manager', permissions: ['notifications:manage:team'] });
    expect((await refusalOf(svc.rpc.call(NotificationTriggersSubjects.list, {}, agent))).code).toBe('FORBIDDEN');
    expect(
      (await refusalOf(svc.rpc.call(NotificationTriggersSubjects.update, { type: 'lead_assigned', enabled: false }, agent))).code,
    ).toBe('FORBIDDEN');
    expect(
      (await refusalOf(svc.rpc.call(NotificationTriggersSubjects.update, { type: 'lead_assigned', enabled: false }, teamManager))).code,
    ).toBe('FORBIDDEN');
    expect(
      (await refusalOf(svc.rpc.call(NotificationTriggersSubjects.update, { type: 'no_such_trigger', enabled: false }, admin))).code,
    ).toBe('NOTIFICATION_TRIGGER_NOT_FOUND');
    const refused = await refusalOf(
      svc.rpc.call(NotificationTriggersSubjects.update, { type: 'lead_assigned', enabled: true, channels: [] }, admin),
    );
    expect(refused.code).toBe('VALIDATION_FAILED');
  });
});
