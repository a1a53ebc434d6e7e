import type { CloudEvent, CrmContactAssignedData } from '@keyhouse/contracts';
import { dollars, keyDateWords } from './deal-triggers.consumer';
import { isSpeedToLeadReroute } from './notification-triggers.consumer';

const data = (over: Partial<CrmContactAssignedData> = {}): CrmContactAssignedData => ({
  contactId: 'c',
  fromAgentId: 'a1',
  toAgentId: 'a2',
  pondId: null,
  ruleId: null,
  strategy: 'round_robin',
  reason: 'Speed-to-lead: not contacted by 2026-12-07T10:00:00.000Z; re-routed. Round robin',
  respondBy: null,
  ...over,
});

/** `crm.contact.assigned` as crm's speed-to-lead job emits it (actor `system`), with `extra` over it. */
const assigned = (
  payload: CrmContactAssignedData,
  extra: Partial<CloudEvent<CrmContactAssignedData>> = {},
): CloudEvent<CrmContactAssignedData> =>
  ({
    id: 'e',
    type: 'crm.contact.assigned',
    orgid: 'o',
    actortype: 'system',
    data: payload,
    ...extra,
  }) as CloudEvent<CrmContactAssignedData>;

describe('trigger helpers', () => {
  it('recognises a speed-to-lead re-route: the system moving a lead between agents with crm’s speed-to-lead reason', () => {
    expect(isSpeedToLeadReroute(assigned(data()))).toBe(true);
    const byUser = assigned(data(), { actortype: 'user', actorid: 'u' });
    expect(isSpeedToLeadReroute(byUser)).toBe(false);
    expect(isSpeedToLeadReroute(assigned(data({ fromAgentId: null })))).toBe(false);
    expect(isSpeedToLeadReroute(assigned(data({ toAgentId: null })))).toBe(false);
    expect(isSpeedToLeadReroute(assigned(data({ reason: 'Round robin' })))).toBe(false);
  });

  it('words cents as US dollars and key dates as words', () => {
    expect(dollars(45_000_000)).toBe('$450,000.00');
    expect(dollars(5)).toBe('$0.05');
    expect(keyDateWords('inspection_deadline')).toBe('inspection deadline');
  });
});
