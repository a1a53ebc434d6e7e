import { type DynamicModule, Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createKafka, createProducer, type KafkaOptions } from '../kafka/kafka.factory';
import { OUTBOX_OPTIONS, type OutboxOptions } from './outbox.constant';
import { OUTBOX_DATA_SOURCE, OUTBOX_PRODUCER, OutboxRelay } from './outbox-relay.service';
import { OutboxService } from './outbox.service';

export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');

/**
 * Outbox writer and relay for one service. Needs the service's TypeORM `DataSource` in the
 * container (TypeOrmModule provides it). Set `relay: false` to run the relay elsewhere.
 */
@Global()
@Module({})
export class OutboxModule {
  static forRoot(options: OutboxOptions & { kafka: KafkaOptions; relay?: boolean }): DynamicModule {
    return {
      module: OutboxModule,
      providers: [
        { provide: OUTBOX_OPTIONS, useValue: options },
        { provide: KAFKA_CLIENT, useFactory: () => createKafka(options.kafka) },
        { provide: OUTBOX_PRODUCER, inject: [KAFKA_CLIENT], useFactory: createProducer },
        { provide: OUTBOX_DATA_SOURCE, useExisting: DataSource },
        OutboxService,
        ...(options.relay === false ? [] : [OutboxRelay]),
      ],
      exports: [OutboxService, KAFKA_CLIENT, ...(options.relay === false ? [] : [OutboxRelay])],
    };
  }
}
