export * from './crm-contacts.rpc';
export * from './crm-work.rpc';
