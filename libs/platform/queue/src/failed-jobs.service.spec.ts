import type { Queue } from 'bull';
import { FailedJobsService } from './failed-jobs.service';
import { QueueRegistry } from './queue-registry.service';
import { QueueErrorCode } from './queue.exception';

function serviceWith(...names: string[]): FailedJobsService {
  const registry = new QueueRegistry();
  for (const name of names) registry.add({ name } as Queue);
  return new FailedJobsService(registry);
}

describe('FailedJobsService', () => {
  describe('queues', () => {
    it('lists the registered queue names, sorted', () => {
      expect(serviceWith('crm.reminders', 'calendar.sync').queues()).toEqual(['calendar.sync', 'crm.reminders']);
    });
  });

  describe('list', () => {
    it('throws QUEUE_UNKNOWN (not_found) for a queue not registered here', async () => {
      await expect(serviceWith().list('crm.reminders')).rejects.toMatchObject({ code: QueueErrorCode.QueueUnknown, kind: 'not_found' });
    });

    it('throws QUEUE_CURSOR_INVALID (validation) for a cursor it did not make', async () => {
      await expect(serviceWith('crm.reminders').list('crm.reminders', { cursor: 'nope' })).rejects.toMatchObject({
        code: QueueErrorCode.CursorInvalid,
        kind: 'validation',
      });
    });
  });

  describe('retry', () => {
    it('throws QUEUE_UNKNOWN for a queue not registered here', async () => {
      await expect(serviceWith().retry('crm.reminders', '1')).rejects.toMatchObject({ code: QueueErrorCode.QueueUnknown });
    });
  });

  describe('remove', () => {
    it('throws QUEUE_UNKNOWN for a queue not registered here', async () => {
      await expect(serviceWith().remove('crm.reminders', '1')).rejects.toMatchObject({ code: QueueErrorCode.QueueUnknown });
    });
  });
});
