import * as contracts from '../index';
import { EventCatalogue, EventTopicCatalogue } from './event-catalogue.type';
import type { EventDefinition } from './event-definition.util';

/** Every `*Event` object of event definitions (`defineEvent`) exported from `@keyhouse/contracts`, by export name. */
function eventTypeObjects(): Array<[string, Record<string, EventDefinition>]> {
  return Object.entries(contracts as Record<string, unknown>)
    .filter(([name, value]) => name.endsWith('Event') && typeof value === 'object' && value !== null)
    .map(([name, value]) => [name, value as Record<string, EventDefinition>]);
}

describe('EventCatalogue', () => {
  const declared = eventTypeObjects().flatMap(([objectName, object]) =>
    Object.entries(object).map(([key, definition]) => ({ where: `${objectName}.${key}`, type: definition?.type })),
  );

  it('finds the constants objects of every service', () => {
    // Guards the discovery itself: if it found nothing, the completeness checks below would pass vacuously.
    expect(eventTypeObjects().map(([name]) => name)).toEqual(
      expect.arrayContaining(['IdentityEvent', 'CrmContactEvent', 'CrmTaskEvent', 'ListingsEvent', 'DealsEvent', 'AuditEvent']),
    );
  });

  it('has an entry for every event type of every *Event object', () => {
    const missing = declared
      .filter(({ type }) => typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(EventCatalogue, type))
      .map(({ where, type }) => `${where} = ${String(type)}`);
    expect(missing).toEqual([]);
  });

  it('has no entry for a type that no *Event object declares', () => {
    const known = new Set(declared.map(({ type }) => type));
    expect(Object.keys(EventCatalogue).filter((type) => !known.has(type))).toEqual([]);
  });

  it('declares every event type string once', () => {
    const seen = new Map<unknown, string>();
    const duplicates: string[] = [];
    for (const { where, type } of declared) {
      const first = seen.get(type);
      if (first) duplicates.push(`${String(type)}: ${first} and ${where}`);
      else seen.set(type, where);
    }
    expect(duplicates).toEqual([]);
  });

  it('puts every published type on a catalogued topic produced by the same service', () => {
    const wrong = Object.entries(EventCatalogue)
      .filter(([, entry]) => entry.topic !== null)
      .filter(([, entry]) => EventTopicCatalogue[entry.topic as string]?.producer !== entry.producer)
      .map(([type, entry]) => `${type} on ${entry.topic} by ${entry.producer}`);
    expect(wrong).toEqual([]);
  });

  it('names types as <prefix>.<aggregate>.<past tense> with the prefix of their topic', () => {
    const wrong = Object.entries(EventCatalogue)
      .filter(
        ([type, entry]) =>
          !/^[a-z]+\.[a-z_]+\.[a-z_]+$/.test(type) || (entry.topic !== null && type.split('.')[0] !== entry.topic.split('.')[0]),
      )
      .map(([type]) => type);
    expect(wrong).toEqual([]);
  });

  it('names payload types as identifiers and documents every entry in docs/events', () => {
    const wrong = Object.entries(EventCatalogue)
      .filter(
        ([, entry]) =>
          (entry.payload !== null && !/^[A-Z][A-Za-z0-9]*$/.test(entry.payload)) ||
          !/^docs\/events\/[a-z-]+\.md$/.test(entry.doc) ||
          entry.key.trim() === '',
      )
      .map(([type]) => type);
    expect(wrong).toEqual([]);
  });

  it('has a topic entry only for topics that carry catalogued types', () => {
    const used = new Set(Object.values(EventCatalogue).map((entry) => entry.topic));
    expect(Object.keys(EventTopicCatalogue).filter((topic) => !used.has(topic))).toEqual([]);
  });
});
