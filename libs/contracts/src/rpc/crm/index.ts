export * from './crm-contacts.rpc';
export * from './crm-lead-sources.rpc';
export * from './crm-work.rpc';
