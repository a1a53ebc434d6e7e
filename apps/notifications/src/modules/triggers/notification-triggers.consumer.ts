import { Injectable } from '@nestjs/common';
import { CrmContactEvent, CrmTaskEvent, type CloudEvent, type CrmContactAssignedData, type CrmTaskCreatedData } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import type { NotificationsDb } from '../../database/notifications.db';
import { NotificationDispatchService } from './notification-dispatch.service';

/** Consumer group over `crm.events`, also the inbox's consumer name: never change it. */
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
 * The built-in triggers of this slice (`NOTIFICATION_TRIGGERS`), consumer group
 * `notifications.triggers` over `crm.events`; each event is handled once with its inbox row, and
 * the notification's own unique key (recipient, type, event id) makes a redelivery harmless too.
 * - `crm.contact.assigned` with an agent → `lead_assigned` to that agent, unless the acting user
 *   assigned the contact to themselves (a claim, or an agent taking their own lead);
 * - `crm.task.created` → `task_assigned` to the assignee, unless the acting user is the assignee.
 */
@Injectable()
export class NotificationTriggersConsumer {
  constructor(private readonly dispatch: NotificationDispatchService) {}

  /** `crm.contact.assigned` → `lead_assigned` (in-app + email) for `toAgentId`. */
  @OnEvent(CrmContactEvent.contactAssigned, { group: NOTIFICATIONS_TRIGGERS_GROUP })
  async onContactAssigned(event: CloudEvent<CrmContactAssignedData>, unit: UnitOfWorkContext): Promise<void> {
    const data = event.data;
    if (!data.toAgentId) return;
    if (event.actortype === 'user' && event.actorid === data.toAgentId) return;
    const strategy = STRATEGY_WORDS[data.strategy] ?? data.strategy.replace(/_/g, ' ');
    await this.dispatch.dispatch(unit, {
      orgId: event.orgid,
      recipientUserId: data.toAgentId,
      type: 'lead_assigned',
      sourceEventId: event.id,
      values: { strategy, respondByLine: data.respondBy ? ` Respond by ${data.respondBy}.` : '' },
      data: { contactId: data.contactId, strategy: data.strategy, respondBy: data.respondBy, ruleId: data.ruleId, pondId: data.pondId },
      link: `/contacts/${data.contactId}`,
    });
  }

  /** `crm.task.created` → `task_assigned` (in-app + email) for the assignee, when someone else created it. */
  @OnEvent(CrmTaskEvent.taskCreated, { group: NOTIFICATIONS_TRIGGERS_GROUP })
  async onTaskCreated(event: CloudEvent<CrmTaskCreatedData>, unit: UnitOfWorkContext): Promise<void> {
    const data = event.data;
    if (!data.assigneeId) return;
    if (event.actortype === 'user' && event.actorid === data.assigneeId) return;
    let assignerName = 'Keyhouse';
    if (event.actortype === 'user' && event.actorid) {
      const assigner = await kyselyFor<NotificationsDb>(unit.manager)
        .selectFrom('recipient')
        .select('name')
        .where('user_id', '=', event.actorid)
        .executeTakeFirst();
      assignerName = assigner?.name ?? 'A colleague';
    }
    await this.dispatch.dispatch(unit, {
      orgId: event.orgid,
      recipientUserId: data.assigneeId,
      type: 'task_assigned',
      sourceEventId: event.id,
      values: { taskTitle: data.title, assignerName, dueAt: data.dueAt },
      data: { taskId: data.taskId, contactId: data.contactId, dueAt: data.dueAt, priority: data.priority },
      link: `/tasks/${data.taskId}`,
    });
  }
}
