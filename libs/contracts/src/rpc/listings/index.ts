// listings RPC subjects and request/response types (owned by the listings service's work).
export {};
