export * from './crm-contacts.event';
export * from './crm-work.event';
