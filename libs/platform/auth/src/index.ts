export * from './access-token.constant';
export * from './access-token-verifier.service';
export * from './revocation-list.service';
export * from './permission.util';
export * from './auth.decorator';
export * from './permission.guard';
export * from './secret-cipher.service';
