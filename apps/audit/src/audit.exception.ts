/** Error codes of the audit service; tests and clients assert these, never message text. */
export enum AuditErrorCode {
  InvalidCursor = 'INVALID_CURSOR',
  /** A manager (team scope) reads the trail of an organization that does not allow it. */
  TeamReadDisabled = 'AUDIT_TEAM_READ_DISABLED',
  /** Verification and settings need the organization-wide scope. */
  OrgScopeRequired = 'AUDIT_ORG_SCOPE_REQUIRED',
}
