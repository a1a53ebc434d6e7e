/** Stable error codes of the crm working tools (tasks, companies, saved replies, tags); tests and clients assert these. */
export enum CrmWorkErrorCode {
  TaskNotFound = 'TASK_NOT_FOUND',
  TaskNotOpen = 'TASK_NOT_OPEN',
  InvalidRecurrence = 'INVALID_RECURRENCE',
  UnknownAssignee = 'UNKNOWN_ASSIGNEE',
  AssigneeNotAllowed = 'ASSIGNEE_NOT_ALLOWED',
  AgentNotInScope = 'AGENT_NOT_IN_SCOPE',
  UnknownContact = 'UNKNOWN_CONTACT',
  CompanyNotFound = 'COMPANY_NOT_FOUND',
  CompanyNameTaken = 'COMPANY_NAME_TAKEN',
  InvalidPhone = 'INVALID_PHONE',
  SavedReplyNotFound = 'SAVED_REPLY_NOT_FOUND',
  SavedReplyNameTaken = 'SAVED_REPLY_NAME_TAKEN',
  InvalidPlaceholderValue = 'INVALID_PLACEHOLDER_VALUE',
  TagNotFound = 'TAG_NOT_FOUND',
  TagNameTaken = 'TAG_NAME_TAKEN',
  UserActorRequired = 'USER_ACTOR_REQUIRED',
}
