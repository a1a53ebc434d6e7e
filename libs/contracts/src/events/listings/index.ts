// listings domain event types and payloads (owned by the listings service's work).
export {};
