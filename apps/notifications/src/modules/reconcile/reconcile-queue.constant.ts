import { Counter } from 'prom-client';

/** Bull queue of the reconcile of `unknown` sends (one repeatable job, `DeliveryReconcileJob`). */
export const NOTIFICATIONS_RECONCILE_QUEUE = 'notifications.reconcile';

/** Bull job id of the repeatable reconcile job (one schedule, whatever the number of replicas). */
export const RECONCILE_REPEAT_JOB_ID = 'notifications-reconcile';

/** Bull job id of the one resend of `deliveryId` (distinct from the first job's id, the delivery id). */
export function resendJobId(deliveryId: string): string {
  return `${deliveryId}:resend`;
}

/**
 * What the reconcile did with each `unknown` delivery, by channel (Prometheus
 * `notifications_reconcile_total{channel,outcome}`): `found` (the provider has it: recorded as sent
 * or its status), `resent` (one resend authorised), `failed` (`PROVIDER_OUTCOME_UNRESOLVED`),
 * `lookup_failed` (Twilio could not be asked; tried again on the next run).
 */
export const reconcileCounter = new Counter({
  name: 'notifications_reconcile_total',
  help: 'Deliveries with an unknown send outcome settled by the reconcile, by channel and outcome',
  labelNames: ['channel', 'outcome'],
});

/** Channel jobs that found their delivery claimed by an earlier run that died mid-send (moved to `unknown`). */
export const interruptedSendCounter = new Counter({
  name: 'notifications_send_interrupted_total',
  help: 'Channel jobs that found a send started by an earlier run (worker killed mid-send): moved to unknown, not resent',
  labelNames: ['channel'],
});
