import { Logger } from '@nestjs/common';
import { UnitOfWork } from '@keyhouse/platform/messaging';
import { Process, Processor, type Job } from '@keyhouse/platform/queue';
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
      const [assignment] = (await manager.query(
        `SELECT id, agent_id, assigned_at, respond_by FROM contact_assignment WHERE id = $1 AND ended_at IS NULL`,
        [assignmentId],
      )) as Array<{ id: string; agent_id: string | null; assigned_at: Date; respond_by: Date | null }>;
      if (!assignment || !assignment.agent_id || assignment.agent_id !== contact.owner_id) return 'assignment no longer current';
      const contacted = contact.status !== 'new' || (contact.last_contacted_at && contact.last_contacted_at >= assignment.assigned_at);
      if (contacted) return 'contacted in time';
      const lapsed = (await manager.query(
        `SELECT DISTINCT agent_id FROM contact_assignment WHERE contact_id = $1 AND end_reason = 'speed_to_lead' AND agent_id IS NOT NULL`,
        [contactId],
      )) as Array<{ agent_id: string }>;
      const exclude = [assignment.agent_id, ...lapsed.map((row) => row.agent_id)];
      const prefix = `Speed-to-lead: not contacted by ${assignment.respond_by?.toISOString() ?? 'the deadline'}; re-routed. `;
      const target = await this.engine.route(unit, contact, { exclude, reasonPrefix: prefix, endReason: 'speed_to_lead' });
      if (!target) {
        await manager.query(`UPDATE contact_assignment SET respond_by = NULL WHERE id = $1`, [assignmentId]);
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
