// audit RPC subjects and request/response types (owned by the audit service's work).
export {};
