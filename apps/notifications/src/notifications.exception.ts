/** Error codes of the notifications service; tests and clients assert these, never message text. */
export enum NotificationsErrorCode {
  /** No notification with that id among the caller's own (another user's or organization's answers this too). */
  NotificationNotFound = 'NOTIFICATION_NOT_FOUND',
  /** A webhook's signature (SendGrid: or timestamp) header is missing, malformed, stale or does not verify (Twilio: `X-Twilio-Signature`). */
  WebhookSignatureInvalid = 'WEBHOOK_SIGNATURE_INVALID',
  /** The SendGrid webhook body is larger than SendGrid's batch size (768 KB), or a Twilio webhook's larger than 64 KB. */
  WebhookPayloadTooLarge = 'WEBHOOK_PAYLOAD_TOO_LARGE',
  /** The verified SendGrid webhook body is not a JSON array of event objects, or a Twilio webhook lacks `MessageSid` (and `MessageStatus` / `From`, `To`). */
  WebhookPayloadInvalid = 'WEBHOOK_PAYLOAD_INVALID',
  /** `from`/`to` of the history are not ISO 8601 date-times. */
  InvalidDateRange = 'INVALID_DATE_RANGE',
  /** A preference or setting names a type no trigger has. */
  UnknownNotificationType = 'UNKNOWN_NOTIFICATION_TYPE',
  /** A user tried to switch off a default channel of a mandatory type (the organization's list, or a security notice). */
  NotificationTypeMandatory = 'NOTIFICATION_TYPE_MANDATORY',
  /** A time zone is not an IANA zone (`America/New_York`). */
  InvalidTimeZone = 'INVALID_TIME_ZONE',
  /** No device with that id among the caller's own (another user's or organization's answers this too). */
  DeviceNotFound = 'DEVICE_NOT_FOUND',
  /** No such crm contact in the caller's organization within the caller's `contacts:read` scope (email activity). */
  ContactNotFound = 'CONTACT_NOT_FOUND',
}

/** Machine-readable reasons of a delivery that was not (or not surely) delivered, shown in the history. */
export const DeliveryReason = {
  /** The address is on the suppression list (bounce, spam report, unsubscribe). */
  Suppressed: 'SUPPRESSED',
  /** The recipient has no email address in the read model (or is deactivated). */
  NoAddress: 'NO_ADDRESS',
  /** The provider refused the message (4xx other than 429); the provider's first error message follows. */
  ProviderRejected: 'PROVIDER_REJECTED',
  /** Retries on 429 / 5xx / connection errors ran out. */
  ProviderUnavailable: 'PROVIDER_UNAVAILABLE',
  /** The request was written but no answer came (timeout): not resent; a later reconcile settles it. */
  OutcomeUnknown: 'PROVIDER_OUTCOME_UNKNOWN',
  /** No provider configured: written to the local sink (`local_email`). */
  LocalSink: 'LOCAL_SINK',
  /** The number opted out of SMS from our sender (inbound STOP-like keyword, or Twilio error 21610 on a send). */
  OptedOut: 'OPTED_OUT',
  /** The SMS channel was switched off (no `TWILIO_ACCOUNT_SID`) after the delivery was queued. */
  ChannelOff: 'CHANNEL_OFF',
  /** The recipient switched this channel off for this type (their preferences, or identity's channel switches). */
  PreferenceOff: 'PREFERENCE_OFF',
  /** SMS or push inside the recipient's quiet hours: still `queued`, sent at the window's end (`delivery.scheduled_for`). */
  QuietHoursDeferred: 'QUIET_HOURS_DEFERRED',
  /** A push delivery whose recipient has no registered device left (none, or FCM reported every token invalid). */
  NoDevice: 'NO_DEVICE',
  /** A marketing email / SMS to a crm contact without their consent for that channel (crm's `consent.email` / `consent.sms` not granted). */
  ConsentMissing: 'CONSENT_MISSING',
  /** The crm contact is marked do-not-contact: nothing is sent to them, marketing or transactional. */
  DoNotContact: 'DO_NOT_CONTACT',
  /**
   * The send and the one resend the reconcile authorised both ended without a known outcome, and
   * neither the provider's events nor (SMS) a lookup at Twilio found it: not resent again
   * (docs/adr/0035 "Reconcile of unknown sends").
   */
  OutcomeUnresolved: 'PROVIDER_OUTCOME_UNRESOLVED',
} as const;
