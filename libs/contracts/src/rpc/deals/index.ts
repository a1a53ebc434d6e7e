export * from './deals-transactions.rpc';
export * from './deals-commission.rpc';
