import { Kafka, logLevel, type Producer } from 'kafkajs';

/**
 * The only place that constructs kafkajs objects, so that `@confluentinc/kafka-javascript` (same
 * API under `.KafkaJS`) can replace kafkajs here alone (ARCHITECTURE.md, Communication).
 */
export interface KafkaOptions {
  clientId: string;
  brokers: string[];
  /** Prepended to topic names (`KAFKA_TOPIC_PREFIX`). */
  topicPrefix: string;
}

export function createKafka(options: KafkaOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10000,
    retry: { initialRetryTime: 200, retries: 5, maxRetryTime: 5000 },
  });
}

/**
 * Producer settings: acks = all is passed on every send; no idempotent producer (experimental in
 * kafkajs, issue #1005), so duplicates are possible on retry and consumers dedupe by event id.
 * Topics are auto-created (the local mock broker has no admin API).
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({ allowAutoTopicCreation: true, idempotent: false, maxInFlightRequests: 1 });
}
