// audit domain event types and payloads (owned by the audit service's work).
export {};
