export * from './queue.constant';
export * from './queue.exception';
export * from './queue.config';
export * from './queue-registry.service';
export * from './failed-jobs-cursor.util';
export * from './job-data-redaction.util';
export * from './failed-jobs.service';
export * from './redis-health.service';
export * from './redis-policy-check.service';
export * from './queue.module';
// Bull stays behind this library: services import the decorators and types from here.
export { InjectQueue, Process, Processor, getQueueToken } from '@nestjs/bull';
export type { Job, JobOptions, Queue } from 'bull';
export * from './failed-jobs.http.controller';
