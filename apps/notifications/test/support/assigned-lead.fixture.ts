import { CrmContactEvent, IdentityEvent, type CloudEvent } from '@keyhouse/contracts';
import { testEvent } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';

/** A new agent of a new organization (with an email and, when given, a phone) and a lead assigned to them. */
export interface AssignedLeadEvents {
  orgId: string;
  agentId: string;
  email: string;
  phone: string | null;
  /** `identity.user.created` of the agent (publish first, to `identity.events`). */
  userCreated: CloudEvent;
  /** `crm.contact.assigned` of a new contact to the agent (to `crm.events`): one `lead_assigned` notification. */
  contactAssigned: CloudEvent;
}

/** The events of one lead assigned to a new agent (see `AssignedLeadEvents`); `phone` E.164 or null. */
export function assignedLeadEvents(phone: string | null = null): AssignedLeadEvents {
  const orgId = newId();
  const agentId = newId();
  const email = `agent-${agentId.slice(-12)}@example.test`;
  return {
    orgId,
    agentId,
    email,
    phone,
    userCreated: testEvent(IdentityEvent.userCreated, orgId, {
      userId: agentId,
      email,
      name: 'Agent',
      role: 'agent',
      status: 'active',
      teamIds: [],
      phone,
    }),
    contactAssigned: testEvent(CrmContactEvent.contactAssigned, orgId, {
      contactId: newId(),
      fromAgentId: null,
      toAgentId: agentId,
      pondId: null,
      ruleId: null,
      strategy: 'round_robin',
      reason: 'rule',
      respondBy: null,
    }),
  };
}
