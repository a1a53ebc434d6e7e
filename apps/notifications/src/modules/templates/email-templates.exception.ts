/** Error codes of the organization's email templates; tests and clients assert these, never message text. */
export enum EmailTemplatesErrorCode {
  /** `PUT /v1/notification-templates/:type` names a type that is no email kind (`EMAIL_TEMPLATE_KINDS`). */
  TemplateNotFound = 'NOTIFICATION_TEMPLATE_NOT_FOUND',
}
