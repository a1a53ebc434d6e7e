/** Error codes of the deals-commission service; tests and clients assert these, never message text. */
export enum DealsErrorCode {
  TransactionNotFound = 'TRANSACTION_NOT_FOUND',
  TransactionClosed = 'TRANSACTION_CLOSED',
  PipelineNotFound = 'PIPELINE_NOT_FOUND',
  PipelineNameTaken = 'PIPELINE_NAME_TAKEN',
  UnknownStage = 'UNKNOWN_STAGE',
  WonStageNeedsClose = 'WON_STAGE_NEEDS_CLOSE_PRICE_AND_DATE',
  CommissionPlanNotFound = 'COMMISSION_PLAN_NOT_FOUND',
  CommissionPlanNameTaken = 'COMMISSION_PLAN_NAME_TAKEN',
  CommissionPlanMissing = 'COMMISSION_PLAN_MISSING',
  InvalidCommissionPlan = 'INVALID_COMMISSION_PLAN',
  StatementNotFound = 'COMMISSION_STATEMENT_NOT_FOUND',
  AgentOutOfScope = 'AGENT_OUT_OF_SCOPE',
  InvalidTeamSplit = 'INVALID_TEAM_SPLIT',
  InvalidCursor = 'INVALID_CURSOR',
  InvalidPeriod = 'INVALID_PERIOD',
  ReportTooLarge = 'REPORT_TOO_LARGE',
}
