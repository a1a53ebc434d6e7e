import { type DynamicModule, Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { DataSource } from 'typeorm';
import {
  EVENT_HANDLERS_KAFKA,
  EVENT_HANDLERS_OPTIONS,
  EventHandlerRegistry,
  type EventHandlersOptions,
} from '../kafka/event-handler-registry.service';
import { createKafka, createProducer, type KafkaOptions } from '../kafka/kafka.factory';
import { OUTBOX_OPTIONS, type OutboxOptions } from './outbox.constant';
import { OUTBOX_DATA_SOURCE, OUTBOX_PRODUCER, OutboxRelay } from './outbox-relay.service';
import { OutboxService } from './outbox.service';
import { UnitOfWork } from './unit-of-work.service';

export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');

/**
 * A service's events, both ways: the outbox writer, the `UnitOfWork` and the relay to Kafka, and
 * the `EventHandlerRegistry` that runs its `@OnEvent` handlers. Needs the service's TypeORM
 * `DataSource` in the container (TypeOrmModule provides it). Set `relay: false` to run the relay
 * elsewhere.
 */
@Global()
@Module({})
export class OutboxModule {
  static forRoot(
    options: OutboxOptions & { kafka: KafkaOptions; relay?: boolean; consumers?: Omit<EventHandlersOptions, 'schema' | 'topicPrefix'> },
  ): DynamicModule {
    const handlersOptions: EventHandlersOptions = { schema: options.schema, topicPrefix: options.topicPrefix, ...options.consumers };
    return {
      module: OutboxModule,
      imports: [DiscoveryModule],
      providers: [
        { provide: EVENT_HANDLERS_OPTIONS, useValue: handlersOptions },
        { provide: EVENT_HANDLERS_KAFKA, useExisting: KAFKA_CLIENT },
        UnitOfWork,
        EventHandlerRegistry,
        { provide: OUTBOX_OPTIONS, useValue: options },
        { provide: KAFKA_CLIENT, useFactory: () => createKafka(options.kafka) },
        { provide: OUTBOX_PRODUCER, inject: [KAFKA_CLIENT], useFactory: createProducer },
        { provide: OUTBOX_DATA_SOURCE, useExisting: DataSource },
        OutboxService,
        ...(options.relay === false ? [] : [OutboxRelay]),
      ],
      exports: [OutboxService, UnitOfWork, EventHandlerRegistry, KAFKA_CLIENT, ...(options.relay === false ? [] : [OutboxRelay])],
    };
  }
}
