// deals domain event types and payloads (owned by the deals service's work).
export {};
