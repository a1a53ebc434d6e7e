import type { NotificationDeliveryStatus } from '@keyhouse/contracts';

/**
 * Order of delivery statuses (docs/adr/0035): a status may only be replaced by one of a higher
 * rank. `unknown` (outcome of a send not known) sits below `sent` so the provider's own events can
 * settle it; the outcomes `delivered`, `bounced`, `failed`, `blocked` share a rank (one never
 * replaces another); `opened` (open or click) is last.
 */
export const DELIVERY_STATUS_RANK: Readonly<Record<NotificationDeliveryStatus, number>> = {
  queued: 0,
  unknown: 1,
  sent: 2,
  delivered: 3,
  bounced: 3,
  failed: 3,
  blocked: 3,
  opened: 4,
};

/** True when `to` is a move forward from `from` (delivered → opened yes; opened → delivered no; same status no). */
export function movesForward(from: NotificationDeliveryStatus, to: NotificationDeliveryStatus): boolean {
  return DELIVERY_STATUS_RANK[to] > DELIVERY_STATUS_RANK[from];
}

/** Statuses of a lower rank than `to`: the ones an UPDATE may move from (`WHERE status IN (...)`). */
export function statusesBelow(to: NotificationDeliveryStatus): NotificationDeliveryStatus[] {
  return (Object.keys(DELIVERY_STATUS_RANK) as NotificationDeliveryStatus[]).filter((status) => movesForward(status, to));
}
