export * from './envelope';
export * from './pagination';
export * from './permissions';
export * from './events/cloud-event';
export * from './events/identity/identity.event';
export * from './rpc/identity/identity-auth.rpc';
export * from './rpc/identity/identity-organizations.rpc';
export * from './rpc/identity/identity-users.rpc';
