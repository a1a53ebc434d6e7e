import { defineEvent, isEventOf, type CloudEventOf } from '../events/event-definition.util';
import type { CloudEvent } from '../events/cloud-event.type';
import { defineRpc, type RpcRequestOf, type RpcResponseOf } from './rpc-contract.util';

describe('defineRpc', () => {
  it('keeps the subject and nothing else at run time', () => {
    const contract = defineRpc<{ id: string }, { name: string }>('crm.contacts.get');
    expect(contract).toEqual({ subject: 'crm.contacts.get' });
    expect(Object.isFrozen(contract)).toBe(true);
  });

  it('refuses a subject that is not <service>.<aggregate>.<verb>', () => {
    for (const subject of ['crm.contacts', 'Crm.contacts.get', 'crm..get', 'crm.contacts.get ', '']) {
      expect(() => defineRpc(subject)).toThrow(/is not <service>.<aggregate>.<verb>/);
    }
  });

  it('carries the request and response types (checked by typecheck)', () => {
    const contract = defineRpc<{ id: string }, { name: string }>('crm.contacts.get');
    expect(contract.subject).toBe('crm.contacts.get');
    const request: RpcRequestOf<typeof contract> = { id: 'x' };
    const response: RpcResponseOf<typeof contract> = { name: 'y' };
    // @ts-expect-error a request of the wrong shape does not compile
    const wrong: RpcRequestOf<typeof contract> = { name: 'x' };
    expect([request, response, wrong]).toHaveLength(3);
  });
});

describe('defineEvent', () => {
  it('derives version 1 and the topic from the first segment of the type', () => {
    expect(defineEvent('deals.transaction.stage_changed')).toEqual({
      type: 'deals.transaction.stage_changed',
      version: 1,
      topic: 'deals.events',
    });
    expect(defineEvent('crm.contact.created', { version: 2, topic: 'crm.contacts.v2' })).toEqual({
      type: 'crm.contact.created',
      version: 2,
      topic: 'crm.contacts.v2',
    });
  });

  it('refuses a malformed type or version', () => {
    expect(() => defineEvent('crm.contact')).toThrow(/is not <service>.<aggregate>.<past-tense>/);
    expect(() => defineEvent('crm.Contact.created')).toThrow(/is not/);
    expect(() => defineEvent('crm.contact.created', { version: 0 })).toThrow(/positive integer/);
    expect(() => defineEvent('crm.contact.created', { version: 1.5 })).toThrow(/positive integer/);
  });

  describe('isEventOf', () => {
    it('tells an event of the definition from another, and narrows its data', () => {
      const Erased = defineEvent<{ contactId: string }>('crm.contact.erased');
      const event = { type: 'crm.contact.erased', data: { contactId: 'c-1' } } as CloudEvent;
      const other = { type: 'crm.contact.created', data: {} } as CloudEvent;
      expect(isEventOf(other, Erased)).toBe(false);
      if (!isEventOf(event, Erased)) throw new Error('expected crm.contact.erased');
      const typed: CloudEventOf<typeof Erased> = event;
      expect(typed.data.contactId).toBe('c-1');
    });
  });
});
