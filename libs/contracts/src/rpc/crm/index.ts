// crm RPC subjects and request/response types (owned by the crm service's work).
export {};
