import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { CloudEvent } from '@keyhouse/contracts';
import { createKafka, EventConsumer } from '@keyhouse/platform/messaging';
import { waitFor } from '@keyhouse/testing';

function event(id: string, type = 'test.thing.happened'): CloudEvent {
  return {
    specversion: '1.0',
    id,
    source: 'keyhouse/test',
    type,
    subject: 'agg-1',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    dataschema: `urn:keyhouse:event:${type}:v1`,
    orgid: '00000000-0000-0000-0000-000000000000',
    actortype: 'system',
    data: {},
  };
}

describe('EventConsumer (real Kafka protocol broker)', () => {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const topic = `t${randomBytes(4).toString('hex')}.test.events`;
  const kafka = createKafka({ clientId: 'event-consumer-test', brokers, topicPrefix: '' });
  let consumer: EventConsumer;
  let dlqReader: Consumer;
  const handled: string[] = [];
  const attemptsById = new Map<string, number>();
  const parked: Array<{ value: string; reason: string }> = [];

  beforeAll(async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { key: 'agg-1', value: JSON.stringify(event('ok-1')) },
        { key: 'agg-1', value: 'this is not JSON' },
        { key: 'agg-1', value: JSON.stringify(event('flaky-1')) },
        { key: 'agg-1', value: JSON.stringify(event('poison-1')) },
        { key: 'agg-1', value: JSON.stringify(event('ok-2')) },
      ],
    });
    await producer.disconnect();

    dlqReader = new Kafka({ clientId: 'dlq-reader', brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: `${topic}-dlq-reader` });
    await dlqReader.connect();
    await dlqReader.subscribe({ topic: `${topic}.dlq`, fromBeginning: true });
    await dlqReader.run({
      eachMessage: async ({ message }) => {
        parked.push({ value: message.value?.toString() ?? '', reason: message.headers?.['x-dlq-reason']?.toString() ?? '' });
      },
    });

    consumer = new EventConsumer(kafka, {
      groupId: `${topic}-consumer`,
      topics: [topic],
      maxAttempts: 3,
      handle: async (received) => {
        const attempts = (attemptsById.get(received.id) ?? 0) + 1;
        attemptsById.set(received.id, attempts);
        if (received.id === 'flaky-1' && attempts < 3) throw new Error('transient failure');
        if (received.id === 'poison-1') throw new Error('always fails');
        handled.push(received.id);
      },
    });
    await consumer.start();
  });

  afterAll(async () => {
    await consumer.stop();
    await dlqReader.disconnect();
  });

  describe('start', () => {
    it('retries a failing handler, parks poison and malformed messages on <topic>.dlq, and keeps the partition moving', async () => {
      await waitFor(() => handled.includes('ok-2') && parked.length >= 2);
      expect(handled).toEqual(['ok-1', 'flaky-1', 'ok-2']);
      expect(attemptsById.get('flaky-1')).toBe(3);
      expect(attemptsById.get('poison-1')).toBe(3);
      expect(parked[0].value).toBe('this is not JSON');
      expect((JSON.parse(parked[1].value) as CloudEvent).id).toBe('poison-1');
      expect(parked).toHaveLength(2);
      expect(parked[0].reason).toMatch(/^malformed/);
      expect(parked[1].reason).toBe('always fails');
      expect(Date.now() - consumer.lastPollAt).toBeLessThan(10_000);
    });
  });
});

describe('EventConsumer with handleBatch (real Kafka protocol broker)', () => {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const topic = `t${randomBytes(4).toString('hex')}.batch.events`;
  const kafka = createKafka({ clientId: 'event-consumer-batch-test', brokers, topicPrefix: '' });
  let consumer: EventConsumer;
  let dlqReader: Consumer;
  const handled: string[] = [];
  const batchSizes: number[] = [];
  const attemptsById = new Map<string, number>();
  const parked: string[] = [];

  beforeAll(async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: ['ok-1', null, 'flaky-1', 'poison-1', 'ok-2'].map((id) => ({
        key: 'agg-1',
        value: id ? JSON.stringify(event(id)) : 'not JSON either',
      })),
    });
    await producer.disconnect();

    dlqReader = new Kafka({ clientId: 'dlq-reader', brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: `${topic}-dlq-reader` });
    await dlqReader.connect();
    await dlqReader.subscribe({ topic: `${topic}.dlq`, fromBeginning: true });
    await dlqReader.run({ eachMessage: async ({ message }) => void parked.push(message.value?.toString() ?? '') });

    consumer = new EventConsumer(kafka, {
      groupId: `${topic}-consumer`,
      topics: [topic],
      maxAttempts: 3,
      handleBatch: async (events) => {
        batchSizes.push(events.length);
        for (const { event: received } of events) attemptsById.set(received.id, (attemptsById.get(received.id) ?? 0) + 1);
        if (
          events.some(
            ({ event: received }) => received.id === 'poison-1' || (received.id === 'flaky-1' && attemptsById.get('flaky-1')! < 3),
          )
        ) {
          throw new Error('a failing event in the batch');
        }
        handled.push(...events.map(({ event: received }) => received.id));
      },
    });
    await consumer.start();
  });

  afterAll(async () => {
    await consumer.stop();
    await dlqReader.disconnect();
  });

  describe('start', () => {
    it('hands a fetched batch over at once, falls back to one event at a time on failure, and parks poison and malformed messages', async () => {
      await waitFor(() => handled.includes('ok-2') && parked.length >= 2);
      expect(Math.max(...batchSizes)).toBeGreaterThan(1);
      expect(handled).toEqual(['ok-1', 'flaky-1', 'ok-2']);
      expect(parked[0]).toBe('not JSON either');
      expect((JSON.parse(parked[1]) as CloudEvent).id).toBe('poison-1');
      expect(parked).toHaveLength(2);
      expect(attemptsById.get('poison-1')).toBeGreaterThanOrEqual(3);
    });
  });
});
