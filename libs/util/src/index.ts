export * from './id.util';
export * from './cursor.util';
export * from './hash.util';
export * from './async.util';
export * from './money.constant';
