import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import { QueueErrorCode, QueueException } from './queue.exception';

/**
 * The Bull queues registered in this process (`QueueModule.registerQueues`), by name. When two
 * modules register the same name, the first queue instance is kept: both point at the same keys.
 */
@Injectable()
export class QueueRegistry {
  private readonly queues = new Map<string, Queue>();

  add(queue: Queue): void {
    if (!this.queues.has(queue.name)) this.queues.set(queue.name, queue);
  }

  /** Registered queue names, sorted. */
  names(): string[] {
    return [...this.queues.keys()].sort();
  }

  /** The queue called `name`; throws `QUEUE_UNKNOWN` (not_found) when it is not registered here. */
  get(name: string): Queue {
    const queue = this.queues.get(name);
    if (!queue) {
      throw new QueueException('not_found', QueueErrorCode.QueueUnknown, `Queue "${name}" is not registered in this service`, {
        queue: name,
      });
    }
    return queue;
  }
}
