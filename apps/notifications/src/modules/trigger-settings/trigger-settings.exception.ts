/** Error codes of the per-organization trigger switches; tests and clients assert these, never message text. */
export enum TriggerSettingsErrorCode {
  /** `PATCH /v1/notification-triggers/:type` names a type that is no built-in trigger (`NOTIFICATION_TRIGGERS`). */
  TriggerNotFound = 'NOTIFICATION_TRIGGER_NOT_FOUND',
}
