import { Injectable } from '@nestjs/common';
import {
  CrmContactEvent,
  CrmTaskEvent,
  type CloudEvent,
  type CrmContactAssignedData,
  type CrmTaskCreatedData,
  type CrmTaskOverdueData,
  type CrmTaskReminderDueData,
} from '@keyhouse/contracts';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { PERSON_FACING_FETCH_WAIT_MS, TRIGGER_EVENT_MAX_AGE_MS } from './notification-triggers.constant';
import { TriggerNotifier } from './trigger-notifier.service';

/** Consumer group over `crm.events` (and `deals.events`, `listings.events`, `identity.events`), also the inbox's consumer name: never change it. */
export const NOTIFICATIONS_TRIGGERS_GROUP = 'notifications.triggers';

/** Strategy names as the lead-assigned notification words them. */
const STRATEGY_WORDS: Record<string, string> = {
  manual: 'assigned by hand',
  claim: 'claimed',
  round_robin: 'round robin',
  weighted: 'weighted routing',
  first_to_claim: 'first to claim',
  geographic: 'by area',
};

/**
 * How crm words the reason of a speed-to-lead re-route (`SpeedToLeadJob`: `reasonPrefix`
 * `Speed-to-lead: not contacted by …; re-routed. `). crm's event carries no structured flag for it.
 */
const SPEED_TO_LEAD_REASON = 'Speed-to-lead:';

/**
 * True when `crm.contact.assigned` is a speed-to-lead re-route: crm's own scheduled job (actor
 * `system`) moved the lead from an agent who did not act by the response deadline to another agent.
 */
export function isSpeedToLeadReroute(event: CloudEvent<CrmContactAssignedData>): boolean {
  const data = event.data;
  return (
    event.actortype === 'system' && Boolean(data.fromAgentId) && Boolean(data.toAgentId) && data.reason.startsWith(SPEED_TO_LEAD_REASON)
  );
}

/**
 * The built-in triggers on crm's events (`NOTIFICATION_TRIGGERS`), consumer group
 * `notifications.triggers` over `crm.events`; each event is handled once with its inbox row, the
 * organization's switch is checked before anything is created (`TriggerNotifier`), and the
 * notification's own unique key (recipient, type, event id) makes a redelivery harmless too.
 * - `crm.contact.assigned` with an agent → `lead_assigned` to that agent, unless the acting user
 *   assigned the contact to themselves (a claim, or an agent taking their own lead); a speed-to-lead
 *   re-route → `lead_rerouted` to the new agent and the managers of both agents' teams instead
 *   (`lead_assigned` to the new agent when `lead_rerouted` is switched off);
 * - `crm.task.created` → `task_assigned` to the assignee, unless the acting user is the assignee
 *   (a task the system created, e.g. from a contract deadline, notifies its assignee);
 * - `crm.task.reminder_due` → `task_reminder` to the assignee;
 * - `crm.task.overdue` → `task_overdue` to the assignee.
 */
@Injectable()
export class NotificationTriggersConsumer {
  constructor(private readonly notifier: TriggerNotifier) {}

  /** `crm.contact.assigned` → `lead_assigned` for `toAgentId`, or `lead_rerouted` for a speed-to-lead re-route. */
  @OnEvent(CrmContactEvent.contactAssigned, {
    group: NOTIFICATIONS_TRIGGERS_GROUP,
    maxAgeMs: TRIGGER_EVENT_MAX_AGE_MS,
    maxWaitTimeInMs: PERSON_FACING_FETCH_WAIT_MS,
  })
  async onContactAssigned(event: CloudEvent<CrmContactAssignedData>, unit: UnitOfWorkContext): Promise<void> {
    const data = event.data;
    if (!data.toAgentId) return;
    const strategy = STRATEGY_WORDS[data.strategy] ?? data.strategy.replace(/_/g, ' ');
    const respondByLine = data.respondBy ? ` Respond by ${data.respondBy}.` : '';
    const ids = { contactId: data.contactId, strategy: data.strategy, respondBy: data.respondBy, ruleId: data.ruleId, pondId: data.pondId };
    if (isSpeedToLeadReroute(event) && (await this.notifier.enabled(unit, event.orgid, 'lead_rerouted'))) {
      const agents = [data.fromAgentId!, data.toAgentId];
      const managers = await this.notifier.managersOf(unit.manager, event.orgid, agents);
      const fromName = await this.notifier.nameOf(unit.manager, event.orgid, data.fromAgentId, 'The previous agent');
      const toName = await this.notifier.nameOf(unit.manager, event.orgid, data.toAgentId, 'another agent');
      await this.notifier.notify(unit, [data.toAgentId, ...managers], {
        orgId: event.orgid,
        type: 'lead_rerouted',
        sourceEventId: event.id,
        values: { agentLine: `${fromName} did not contact the lead in time; it now goes to ${toName}.`, strategy, respondByLine },
        data: { ...ids, fromAgentId: data.fromAgentId, toAgentId: data.toAgentId },
        link: `/contacts/${data.contactId}`,
      });
      return;
    }
    if (event.actortype === 'user' && event.actorid === data.toAgentId) return;
    await this.notifier.notify(unit, [data.toAgentId], {
      orgId: event.orgid,
      type: 'lead_assigned',
      sourceEventId: event.id,
      values: { strategy, respondByLine },
      data: ids,
      link: `/contacts/${data.contactId}`,
    });
  }

  /** `crm.task.created` → `task_assigned` (in-app + email) for the assignee, when someone else (or the system) created it. */
  @OnEvent(CrmTaskEvent.taskCreated, {
    group: NOTIFICATIONS_TRIGGERS_GROUP,
    maxAgeMs: TRIGGER_EVENT_MAX_AGE_MS,
    maxWaitTimeInMs: PERSON_FACING_FETCH_WAIT_MS,
  })
  async onTaskCreated(event: CloudEvent<CrmTaskCreatedData>, unit: UnitOfWorkContext): Promise<void> {
    const data = event.data;
    if (!data.assigneeId) return;
    if (event.actortype === 'user' && event.actorid === data.assigneeId) return;
    const assignerName =
      event.actortype === 'user' && event.actorid
        ? await this.notifier.nameOf(unit.manager, event.orgid, event.actorid, 'A colleague')
        : 'Keyhouse';
    await this.notifier.notify(unit, [data.assigneeId], {
      orgId: event.orgid,
      type: 'task_assigned',
      sourceEventId: event.id,
      values: { taskTitle: data.title, assignerName, dueAt: data.dueAt },
      data: { taskId: data.taskId, contactId: data.contactId, dealId: data.dealId, dueAt: data.dueAt, priority: data.priority },
      link: `/tasks/${data.taskId}`,
    });
  }

  /** `crm.task.reminder_due` → `task_reminder` for the assignee (one per reminder offset: crm emits once per offset). */
  @OnEvent(CrmTaskEvent.taskReminderDue, {
    group: NOTIFICATIONS_TRIGGERS_GROUP,
    maxAgeMs: TRIGGER_EVENT_MAX_AGE_MS,
    maxWaitTimeInMs: PERSON_FACING_FETCH_WAIT_MS,
  })
  async onTaskReminderDue(event: CloudEvent<CrmTaskReminderDueData>, unit: UnitOfWorkContext): Promise<void> {
    const data = event.data;
    await this.notifier.notify(unit, [data.assigneeId], {
      orgId: event.orgid,
      type: 'task_reminder',
      sourceEventId: event.id,
      values: { taskTitle: data.title, dueAt: data.dueAt },
      data: { taskId: data.taskId, contactId: data.contactId, dueAt: data.dueAt, offsetMinutes: data.offsetMinutes },
      link: `/tasks/${data.taskId}`,
    });
  }

  /** `crm.task.overdue` → `task_overdue` for the assignee (crm emits once per due time). */
  @OnEvent(CrmTaskEvent.taskOverdue, {
    group: NOTIFICATIONS_TRIGGERS_GROUP,
    maxAgeMs: TRIGGER_EVENT_MAX_AGE_MS,
    maxWaitTimeInMs: PERSON_FACING_FETCH_WAIT_MS,
  })
  async onTaskOverdue(event: CloudEvent<CrmTaskOverdueData>, unit: UnitOfWorkContext): Promise<void> {
    const data = event.data;
    await this.notifier.notify(unit, [data.assigneeId], {
      orgId: event.orgid,
      type: 'task_overdue',
      sourceEventId: event.id,
      values: { taskTitle: data.title, dueAt: data.dueAt },
      data: { taskId: data.taskId, contactId: data.contactId, dueAt: data.dueAt },
      link: `/tasks/${data.taskId}`,
    });
  }
}
