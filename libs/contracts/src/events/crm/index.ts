export * from './crm-contacts.event';
export * from './crm-lead-sources.event';
export * from './crm-work.event';
