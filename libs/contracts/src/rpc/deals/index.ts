export * from './deals-transactions.rpc';
export * from './deals-commission.rpc';
export * from './deals-schedule.rpc';
export * from './deals-invoices.rpc';
export * from './deals-files.rpc';
export * from './deals-portal.rpc';
