export * from './config.util';
