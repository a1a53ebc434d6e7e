// crm domain event types and payloads (owned by the crm service's work).
export {};
