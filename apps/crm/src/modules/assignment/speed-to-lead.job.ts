import { Logger } from '@nestjs/common';
import { kyselyFor } from '@keyhouse/platform/database';
import { UnitOfWork } from '@keyhouse/platform/messaging';
import { Process, Processor, type Job } from '@keyhouse/platform/queue';
import type { CrmDb } from '../../database/crm.db';
import { ContactLookup } from '../contacts-core/contact-lookup.service';
import { TimelineRecorder } from '../contacts-core/timeline-recorder.service';
import { systemContext } from '../shared/system-context.util';
import { AssignmentEngine, SPEED_TO_LEAD_QUEUE } from './assignment-engine.service';

export interface SpeedToLeadJobData {
  orgId: string;
  contactId: string;
  assignmentId: string;
}

/**
 * Speed-to-lead: runs at an assignment's response deadline. If that assignment is still current
 * and the agent has not contacted the lead (status still `new`, no `lastContactedAt` since the
 * assignment), the lead is re-routed by the rules, excluding every agent who already let it lapse,
 * and the timeline records why. Idempotent: a re-run finds the assignment ended and does nothing.
 */
@Processor(SPEED_TO_LEAD_QUEUE)
export class SpeedToLeadJob {
  private readonly logger = new Logger(SpeedToLeadJob.name);

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly contacts: ContactLookup,
    private readonly engine: AssignmentEngine,
    private readonly timeline: TimelineRecorder,
  ) {}

  @Process('check')
  async check(job: Job<SpeedToLeadJobData>): Promise<string> {
    const { orgId, contactId, assignmentId } = job.data;
    const outcome = await this.unitOfWork.run(systemContext(orgId, `speed-to-lead:${assignmentId}`), async (unit) => {
      const { manager } = unit;
      const contact = await this.contacts.byId(manager, orgId, contactId, true);
      if (!contact) return 'contact gone';
      const db = kyselyFor<CrmDb>(manager);
      const assignment = await db
        .selectFrom('contact_assignment')
        .select(['id', 'agent_id', 'assigned_at', 'respond_by'])
        .where('id', '=', assignmentId)
        .where('ended_at', 'is', null)
        .executeTakeFirst();
      if (!assignment || !assignment.agent_id || assignment.agent_id !== contact.owner_id) return 'assignment no longer current';
      const contacted = contact.status !== 'new' || (contact.last_contacted_at && contact.last_contacted_at >= assignment.assigned_at);
      if (contacted) return 'contacted in time';
      const lapsed = await db
        .selectFrom('contact_assignment')
        .select('agent_id')
        .distinct()
        .where('contact_id', '=', contactId)
        .where('end_reason', '=', 'speed_to_lead')
        .where('agent_id', 'is not', null)
        .$narrowType<{ agent_id: string }>()
        .execute();
      const exclude = [assignment.agent_id, ...lapsed.map((row) => row.agent_id)];
      const prefix = `Speed-to-lead: not contacted by ${assignment.respond_by?.toISOString() ?? 'the deadline'}; re-routed. `;
      const target = await this.engine.route(unit, contact, { exclude, reasonPrefix: prefix, endReason: 'speed_to_lead' });
      if (!target) {
        await db.updateTable('contact_assignment').set({ respond_by: null }).where('id', '=', assignmentId).execute();
        await this.timeline.record(manager, {
          orgId,
          contactId,
          kind: 'contact.response_deadline_missed',
          actorId: null,
          data: { agentId: assignment.agent_id, rerouted: false, reason: 'no other eligible agent; the lead stays with its agent' },
        });
        return 'missed; nobody else eligible';
      }
      return `re-routed to ${target.agentId ?? target.pondId}`;
    });
    this.logger.log({ contactId, assignmentId, outcome }, 'Speed-to-lead check');
    return outcome;
  }
}
