// deals RPC subjects and request/response types (owned by the deals service's work).
export {};
