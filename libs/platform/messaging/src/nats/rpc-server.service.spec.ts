import 'reflect-metadata';
import { MetadataScanner, Reflector, type DiscoveryService } from '@nestjs/core';
import type { Msg, NatsConnection, SubscriptionOptions } from 'nats';
import * as Contracts from '@keyhouse/contracts';
import {
  CrmContactSubjects,
  defineRpc,
  RPC_REQUEST_SCHEMAS,
  type CrmContactCreateRequest,
  type CrmImportRowsRequest,
  type RequestEnvelope,
  type RpcReply,
} from '@keyhouse/contracts';
import { InvalidCursorError } from '@keyhouse/platform/database';
import type { NatsModuleOptions } from './nats.constant';
import { RpcHandler } from './rpc-handler.decorator';
import { compileRequestChecks } from './rpc-request-validation.util';
import { RpcServer } from './rpc-server.service';

const OPTIONS: NatsModuleOptions = { serviceName: 'crm', servers: 'nats://unused', subjectPrefix: 'kh.', requestTimeoutMs: 1000 };
const ACTOR = { type: 'user', userId: 'u-1', orgId: 'o-1', role: 'owner', teamIds: [], permissions: [] } as const;

/** An RpcServer over the given providers and a fake NATS connection; `request` plays one request and returns the reply. */
function serverOf(...instances: object[]) {
  const callbacks = new Map<string, NonNullable<SubscriptionOptions['callback']>>();
  const connection = {
    subscribe: (subject: string, options: SubscriptionOptions) => {
      callbacks.set(subject, options.callback!);
      return { unsubscribe: () => undefined };
    },
  } as unknown as NatsConnection;
  const discovery = {
    getProviders: () => instances.map((instance) => ({ instance })),
    getControllers: () => [],
  } as unknown as DiscoveryService;
  const server = new RpcServer(discovery, new MetadataScanner(), new Reflector(), connection, OPTIONS);
  const request = async (subject: string, data: unknown): Promise<RpcReply> => {
    const respond = jest.fn<boolean, [Uint8Array]>(() => true);
    const envelope: RequestEnvelope<unknown> = { actor: { ...ACTOR, teamIds: [], permissions: [] }, requestId: 'req-1', data };
    const message = { data: new TextEncoder().encode(JSON.stringify(envelope)), reply: '_INBOX.1', respond } as unknown as Msg;
    callbacks.get(OPTIONS.subjectPrefix + subject)!(null, message);
    await new Promise((resolve) => setImmediate(resolve));
    expect(respond).toHaveBeenCalledTimes(1);
    return JSON.parse(new TextDecoder().decode(respond.mock.calls[0][0])) as RpcReply;
  };
  return { server, request };
}

class ContactsService {
  readonly created: CrmContactCreateRequest[] = [];
  readonly imported: CrmImportRowsRequest[] = [];
  readonly listed: unknown[] = [];

  @RpcHandler(CrmContactSubjects.create)
  async create(envelope: RequestEnvelope<CrmContactCreateRequest>) {
    this.created.push(envelope.data);
    return { contact: {} as never, merged: false };
  }

  @RpcHandler(CrmContactSubjects.importRows)
  async importRows(envelope: RequestEnvelope<CrmImportRowsRequest>) {
    this.imported.push(envelope.data);
    return { created: 0, merged: 0, rejected: [] };
  }

  @RpcHandler(CrmContactSubjects.fieldList)
  async fieldList(envelope: RequestEnvelope<Record<string, never>>) {
    this.listed.push(envelope.data);
    return [];
  }
}

const Echo = defineRpc<{ text: string }, { text: string }>('test.echo.say');

class EchoService {
  readonly said: string[] = [];
  /** What `say` throws instead of answering, when set. */
  failure: unknown = null;

  @RpcHandler(Echo, {
    requestSchema: {
      type: 'object',
      properties: { text: { type: 'string', minLength: 1 } },
      required: ['text'],
      additionalProperties: false,
    },
  })
  async say(envelope: RequestEnvelope<{ text: string }>) {
    if (this.failure) throw this.failure;
    this.said.push(envelope.data.text);
    return { text: envelope.data.text };
  }
}

describe('RpcServer', () => {
  describe('onApplicationBootstrap', () => {
    it('answers every subject of the providers, each with a request schema', () => {
      const { server } = serverOf(new ContactsService(), new EchoService());
      server.onApplicationBootstrap();
      expect(server.subjects.sort()).toEqual([
        'crm.contact-fields.list',
        'crm.contacts.create',
        'crm.contacts.import-rows',
        'test.echo.say',
      ]);
    });

    it('fails the start-up when a subject has no request schema, naming it', () => {
      const Orphan = defineRpc<{ id: string }, null>('test.orphans.get');
      class OrphanService {
        @RpcHandler(Orphan)
        async get() {
          return null;
        }
      }
      const { server } = serverOf(new OrphanService());
      expect(() => server.onApplicationBootstrap()).toThrow(/No request schema for NATS subject test\.orphans\.get: .*npm run docs:api/);
    });

    it('compiles the generated schema of every subject, which accepts an example and refuses a non-object', () => {
      const subjects = Object.keys(RPC_REQUEST_SCHEMAS.subjects);
      const checks = compileRequestChecks(subjects, RPC_REQUEST_SCHEMAS);
      for (const subject of subjects) expect(checks.get(subject)!(42)).toEqual([{ field: '', message: 'must be object', code: 'type' }]);
      expect(checks.get('crm.contacts.get')!({ id: 'c-1' })).toBeNull();
    });

    it('has a generated schema for every contract of the *Subjects objects of libs/contracts, and for nothing else', () => {
      const subjects = Object.entries(Contracts)
        .filter(([name]) => name.endsWith('Subjects'))
        .flatMap(([, group]) => Object.values(group as Record<string, { subject: string }>).map((contract) => contract.subject));
      expect(subjects.length).toBeGreaterThan(150);
      expect(Object.keys(RPC_REQUEST_SCHEMAS.subjects).sort()).toEqual([...new Set(subjects)].sort());
    });
  });

  describe('dispatch', () => {
    let contacts: ContactsService;
    let echo: EchoService;
    let request: (subject: string, data: unknown) => Promise<RpcReply>;

    beforeEach(() => {
      contacts = new ContactsService();
      echo = new EchoService();
      const built = serverOf(contacts, echo);
      built.server.onApplicationBootstrap();
      request = built.request;
    });

    it('answers a cursor the list did not make as 400 INVALID_CURSOR naming the field', async () => {
      echo.failure = new InvalidCursorError();
      expect(await request(Echo.subject, { text: 'hi' })).toEqual({
        ok: false,
        error: {
          kind: 'validation',
          code: 'INVALID_CURSOR',
          message: expect.any(String),
          errors: [{ field: 'cursor', message: expect.any(String) }],
        },
      });
    });

    it('answers a database outage as unavailable with a retry hint, and any other error as internal without its message', async () => {
      echo.failure = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
      expect(await request(Echo.subject, { text: 'hi' })).toEqual({
        ok: false,
        error: { kind: 'unavailable', code: 'DATABASE_UNAVAILABLE', message: expect.any(String), details: { retryAfterSeconds: 2 } },
      });
      echo.failure = Object.assign(new Error('duplicate key value violates unique constraint "x"'), { code: '23505' });
      expect(await request(Echo.subject, { text: 'hi' })).toEqual({
        ok: false,
        error: { kind: 'internal', code: 'INTERNAL_ERROR', message: 'An unexpected error occurred' },
      });
    });

    it('calls the handler with data that matches the contract', async () => {
      const data = {
        firstName: 'Ann',
        emails: ['ann@example.com'],
        referrer: null,
        consent: { email: { granted: true, source: 'web_form' } },
        onDuplicate: 'merge',
      };
      const reply = await request(CrmContactSubjects.create.subject, data);
      expect(reply).toEqual({ ok: true, data: { contact: {}, merged: false } });
      expect(contacts.created).toEqual([data]);
    });

    it('answers a validation error with dotted field paths and does not call the handler when the data does not match', async () => {
      const reply = await request(CrmContactSubjects.create.subject, {
        firstName: 1,
        emails: ['ann@example.com', 2],
        referrer: { name: 'Bob' },
        consent: { email: { granted: 'yes', source: 'web_form' } },
        onDuplicate: 'ignore',
        role: 'admin',
      });
      expect(reply.ok).toBe(false);
      if (reply.ok) return;
      expect(reply.error).toMatchObject({ kind: 'validation', code: 'VALIDATION_FAILED' });
      expect(reply.error.errors).toEqual(
        expect.arrayContaining([
          { field: 'role', message: 'is not an accepted field', code: 'additionalProperties' },
          { field: 'firstName', message: 'must be string or null', code: 'type' },
          { field: 'emails[1]', message: 'must be string', code: 'type' },
          { field: 'referrer.type', message: 'is required', code: 'required' },
          { field: 'consent.email.granted', message: 'must be boolean', code: 'type' },
          { field: 'onDuplicate', message: 'must be one of: reject, create, merge', code: 'enum' },
        ]),
      );
      expect(reply.error.errors).toHaveLength(6);
      expect(contacts.created).toEqual([]);
    });

    it('names a union that no member matches by the types it accepts', async () => {
      const reply = await request(CrmContactSubjects.create.subject, { referrer: 'Bob' });
      expect(reply).toMatchObject({
        ok: false,
        error: { kind: 'validation', errors: [{ field: 'referrer', message: 'must be object or null', code: 'anyOf' }] },
      });
    });

    it('names array items by index and their fields by name', async () => {
      const reply = await request(CrmContactSubjects.importRows.subject, {
        rows: [
          { row: 2, values: { email: 'a@example.com' } },
          { row: 3, values: { email: 'b@example.com' } },
          { row: '4', values: { colour: 'red' } },
        ],
      });
      expect(reply).toMatchObject({
        ok: false,
        error: {
          kind: 'validation',
          errors: [
            { field: 'rows[2].row', message: 'must be number', code: 'type' },
            { field: 'rows[2].values.colour', message: 'is not an accepted field', code: 'additionalProperties' },
          ],
        },
      });
      expect(contacts.imported).toEqual([]);
    });

    it('accepts an empty object for a request without fields and refuses any field in it', async () => {
      expect(await request(CrmContactSubjects.fieldList.subject, {})).toEqual({ ok: true, data: [] });
      const reply = await request(CrmContactSubjects.fieldList.subject, { limit: 5 });
      expect(reply).toMatchObject({ ok: false, error: { kind: 'validation', errors: [{ field: 'limit', code: 'additionalProperties' }] } });
      expect(contacts.listed).toEqual([{}]);
    });

    it('refuses a request without data as a whole', async () => {
      const reply = await request(CrmContactSubjects.importRows.subject, undefined);
      expect(reply).toMatchObject({
        ok: false,
        error: { kind: 'validation', errors: [{ field: '', message: 'must be object', code: 'type' }] },
      });
    });

    it("validates with the handler's own schema when it gives one", async () => {
      expect(await request(Echo.subject, { text: 'hi' })).toEqual({ ok: true, data: { text: 'hi' } });
      const reply = await request(Echo.subject, { text: '' });
      expect(reply).toMatchObject({ ok: false, error: { kind: 'validation', errors: [{ field: 'text', code: 'minLength' }] } });
      expect(echo.said).toEqual(['hi']);
    });
  });
});
