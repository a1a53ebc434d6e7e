export * from './access-token';
export * from './access-token.verifier';
export * from './revocation-list';
export * from './permission.util';
export * from './auth.decorator';
export * from './permission.guard';
export * from './secret-cipher';
