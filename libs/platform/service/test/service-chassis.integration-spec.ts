import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import { DataSource, type EntityManager, type MigrationInterface, type QueryRunner } from 'typeorm';
import {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  type Producer,
} from 'kafkajs';
import { defineEvent, defineRpc, type CloudEvent, type RequestEnvelope } from '@keyhouse/contracts';
import { loadConfig, platformEnv } from '@keyhouse/platform/config';
import {
  DomainException,
  EventHandlerRegistry,
  OnEvent,
  OutboxRelay,
  OutboxService,
  outboxAndInboxDdl,
  PLATFORM_MIGRATIONS,
  RpcClient,
  RpcHandler,
  UnitOfWork,
  type UnitOfWorkContext,
} from '@keyhouse/platform/messaging';
import { bootstrapService, ServiceCoreModule } from '@keyhouse/platform/service';
import { createTestIsolation, waitFor, type TestIsolation } from '@keyhouse/testing';

// A service of one table built on the chassis alone, to prove what every service gets from it.
const SCHEMA = 'chassis';
const OPS_TOKEN = 'ops-token-for-the-chassis-test-0123456789';

interface NoteCreatedData {
  noteId: string;
  text: string;
}
const NoteCreated = defineEvent<NoteCreatedData>('chassis.note.created');
const NoteRpc = { create: defineRpc<{ text: string; failAfterEmit?: boolean }, { id: string }>('chassis.notes.create') };

class CreateNoteTables1700000000000 implements MigrationInterface {
  name = 'CreateNoteTables1700000000000';
  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of outboxAndInboxDdl(SCHEMA)) await queryRunner.query(statement);
    await queryRunner.query(`CREATE TABLE "${SCHEMA}".note (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), text text NOT NULL)`);
    await queryRunner.query(`CREATE TABLE "${SCHEMA}".note_echo (event_id text NOT NULL, note_id uuid NOT NULL)`);
  }
  async down(): Promise<void> {}
}

/** Event ids the group's `maxAgeMs` handler was given. */
const recentSeen: string[] = [];

/** What the test service's after-commit tasks saw: the note ids, read from another connection. */
const afterCommitSeen: Array<{ noteId: string; visibleElsewhere: boolean }> = [];

@Injectable()
class NotesService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly dataSource: DataSource,
  ) {}

  // A contract declared outside libs/contracts has no generated schema: the handler gives its own.
  @RpcHandler(NoteRpc.create, {
    requestSchema: {
      type: 'object',
      properties: { text: { type: 'string' }, failAfterEmit: { type: 'boolean' } },
      required: ['text'],
      additionalProperties: false,
    },
  })
  create(envelope: RequestEnvelope<{ text: string; failAfterEmit?: boolean }>): Promise<{ id: string }> {
    return this.unitOfWork.run(envelope, async (unit) => {
      const [{ id }] = (await unit.manager.query(`INSERT INTO note (text) VALUES ($1) RETURNING id`, [envelope.data.text])) as Array<{
        id: string;
      }>;
      await unit.emit(NoteCreated, id, envelope.actor!.orgId, { noteId: id, text: envelope.data.text });
      unit.afterCommit(async () => {
        const rows = (await this.dataSource.query(`SELECT 1 FROM note WHERE id = $1`, [id])) as unknown[];
        afterCommitSeen.push({ noteId: id, visibleElsewhere: rows.length === 1 });
      });
      if (envelope.data.failAfterEmit) throw new DomainException('conflict', 'NOTE_REFUSED', 'Refused after the event was written');
      return { id };
    });
  }

  @OnEvent(NoteCreated, { group: 'chassis.note-echo' })
  async echo(event: CloudEvent<NoteCreatedData>, unit: UnitOfWorkContext): Promise<void> {
    await unit.manager.query(`INSERT INTO note_echo (event_id, note_id) VALUES ($1, $2)`, [event.id, event.data.noteId]);
  }

  /** The same group, for events at most a minute old (a notification-like effect). */
  @OnEvent(NoteCreated, { group: 'chassis.note-echo', maxAgeMs: 60_000 })
  recent(event: CloudEvent<NoteCreatedData>): void {
    recentSeen.push(event.id);
  }
}

@Module({})
class ChassisTestModule {
  static forRoot(env: NodeJS.ProcessEnv, database: string): DynamicModule {
    const platform = loadConfig(platformEnv, env);
    return {
      module: ChassisTestModule,
      imports: [
        ServiceCoreModule.forRoot({
          serviceName: 'chassis',
          platform,
          database: { url: `postgres://postgres@127.0.0.1:5432/${database}`, schema: SCHEMA, migrations: [CreateNoteTables1700000000000] },
          opsToken: OPS_TOKEN,
          // No safety-net poll within a test: only the outbox channel's NOTIFY (or an in-process wake) publishes.
          outbox: { pollIntervalMs: 600_000 },
        }),
      ],
      providers: [NotesService],
    };
  }
}

const ORG = '0190a1b2-0000-7000-8000-000000000001';
const envelope = <T>(data: T): RequestEnvelope<T> => ({
  actor: { type: 'user', userId: '0190a1b2-0000-7000-8000-000000000002', orgId: ORG, role: 'owner', teamIds: [], permissions: [] },
  requestId: `req-${Math.random().toString(36).slice(2)}`,
  data,
});

/**
 * An `EntityManager` stand-in over a plain pg connection (another replica's transaction): the
 * query runner `kyselyFor` runs statements on, with TypeORM's structured result.
 */
function managerOver(client: Client): EntityManager {
  const queryRunner = {
    query: async (sql: string, params: unknown[]) => {
      const result = await client.query(sql, params);
      return { records: result.rows, affected: result.rowCount ?? undefined };
    },
  };
  return { queryRunner } as unknown as EntityManager;
}

describe('ServiceCoreModule (a service on the chassis, real Postgres, NATS, Redis and Kafka)', () => {
  let isolation: TestIsolation;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let baseUrl: string;

  const echoes = async (noteId: string) =>
    (await dataSource.query(`SELECT event_id FROM note_echo WHERE note_id = $1`, [noteId])) as Array<{ event_id: string }>;

  beforeAll(async () => {
    isolation = await createTestIsolation();
    const admin = new Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${isolation.database}` });
    await admin.connect();
    await admin.query(`CREATE SCHEMA IF NOT EXISTS "${SCHEMA}"`);
    await admin.end();
    app = await bootstrapService({
      serviceName: 'chassis',
      module: ChassisTestModule.forRoot(isolation.env, isolation.database),
      healthPort: 0,
      logLevel: 'silent',
    });
    dataSource = app.get(DataSource);
    baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    await isolation?.drop();
  });

  describe('migrations', () => {
    it("runs the service's migrations and then the platform's (outbox parking) once", async () => {
      const rows = (await dataSource.query(`SELECT name FROM "${SCHEMA}".typeorm_migrations ORDER BY id`)) as Array<{ name: string }>;
      expect(rows.map((row) => row.name)).toEqual(['CreateNoteTables1700000000000', ...PLATFORM_MIGRATIONS.map((m) => m.name)]);
    });
  });

  describe('UnitOfWork through an @RpcHandler', () => {
    it('commits the row with its event, runs after-commit work once it is visible, and the @OnEvent handler applies it once', async () => {
      const { id } = await app.get(RpcClient).request(NoteRpc.create, envelope({ text: 'first' }));
      const outbox = (await dataSource.query(`SELECT event_type, message_key FROM outbox_event WHERE message_key = $1`, [id])) as unknown[];
      expect(outbox).toEqual([{ event_type: 'chassis.note.created', message_key: id }]);
      expect(afterCommitSeen).toContainEqual({ noteId: id, visibleElsewhere: true });
      await waitFor(async () => (await echoes(id)).length === 1);
      const [{ event_id: eventId }] = await echoes(id);
      const [{ payload }] = (await dataSource.query(`SELECT payload FROM outbox_event WHERE id = $1`, [eventId])) as Array<{
        payload: CloudEvent;
      }>;
      expect(payload).toMatchObject({
        type: 'chassis.note.created',
        dataschema: 'urn:keyhouse:event:chassis.note.created:v1',
        orgid: ORG,
        data: { noteId: id, text: 'first' },
      });

      // The same event delivered again (a redelivery after a crash or a rebalance) changes nothing.
      expect(await app.get(EventHandlerRegistry).deliver('chassis.note-echo', payload)).toBe(false);
      expect(await echoes(id)).toHaveLength(1);
    });

    it('rolls back the row and its event and runs no after-commit work when the work throws', async () => {
      const before = afterCommitSeen.length;
      await expect(app.get(RpcClient).request(NoteRpc.create, envelope({ text: 'refused', failAfterEmit: true }))).rejects.toMatchObject({
        code: 'NOTE_REFUSED',
      });
      expect(await dataSource.query(`SELECT 1 FROM note WHERE text = 'refused'`)).toEqual([]);
      expect(await dataSource.query(`SELECT 1 FROM outbox_event WHERE payload->'data'->>'text' = 'refused'`)).toEqual([]);
      expect(afterCommitSeen).toHaveLength(before);
    });
  });

  describe('@OnEvent maxAgeMs', () => {
    it('does not give an event older than maxAgeMs to that handler; the group’s other handlers still apply it', async () => {
      const { id } = await app.get(RpcClient).request(NoteRpc.create, envelope({ text: 'late' }));
      const registry = app.get(EventHandlerRegistry);
      const event = (noteId: string, ageMs: number): CloudEvent<NoteCreatedData> => ({
        specversion: '1.0',
        id: `evt-${Math.random().toString(36).slice(2)}`,
        source: 'keyhouse/chassis',
        type: 'chassis.note.created',
        subject: noteId,
        time: new Date(Date.now() - ageMs).toISOString(),
        datacontenttype: 'application/json',
        dataschema: 'urn:keyhouse:event:chassis.note.created:v1',
        orgid: ORG,
        actortype: 'system',
        data: { noteId, text: 'late' },
      });
      const old = event(id, 2 * 60_000);
      expect(await registry.deliver('chassis.note-echo', old)).toBe(true);
      expect((await echoes(id)).map((row) => row.event_id)).toContain(old.id);
      expect(recentSeen).not.toContain(old.id);

      const fresh = event(id, 0);
      expect(await registry.deliver('chassis.note-echo', fresh)).toBe(true);
      expect(recentSeen).toContain(fresh.id);
    });
  });

  describe('OutboxRelay', () => {
    it('publishes a commit made by another process at once, woken by its NOTIFY (the safety-net poll is off here)', async () => {
      // Another replica's transaction: a plain pg connection writing through the outbox writer.
      const other = new Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${isolation.database}` });
      await other.connect();
      try {
        await other.query('BEGIN');
        const [{ id }] = (await other.query(`INSERT INTO "${SCHEMA}".note (text) VALUES ('from another replica') RETURNING id`))
          .rows as Array<{ id: string }>;
        const manager = managerOver(other);
        await app
          .get(OutboxService)
          .publish(manager, [{ type: NoteCreated.type, subject: id, orgId: ORG, data: { noteId: id, text: 'from another replica' } }], {
            actor: null,
          });
        await other.query('COMMIT');
        await waitFor(async () => (await echoes(id)).length === 1);
      } finally {
        await other.end();
      }
    });
  });

  describe('/internal/outbox/parked', () => {
    const ops = { authorization: `Bearer ${OPS_TOKEN}` };

    it('refuses a caller without the operator token', async () => {
      expect((await fetch(`${baseUrl}/internal/outbox/parked`)).status).toBe(401);
      expect(
        (await fetch(`${baseUrl}/internal/outbox/parked`, { headers: { authorization: 'Bearer wrong-token-wrong-token-wrong' } })).status,
      ).toBe(401);
    });

    it('lists a parked row and requeues it, after which it is published and handled', async () => {
      const other = new Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${isolation.database}` });
      await other.connect();
      let noteId: string;
      let eventId: string;
      try {
        // A row parked before the relay saw it (as after maxAttempts refusals).
        await other.query('BEGIN');
        noteId = (
          (await other.query(`INSERT INTO "${SCHEMA}".note (text) VALUES ('parked') RETURNING id`)).rows as Array<{ id: string }>
        )[0].id;
        const manager = managerOver(other);
        const [event] = await app
          .get(OutboxService)
          .publish(manager, [{ type: NoteCreated.type, subject: noteId, orgId: ORG, data: { noteId, text: 'parked' } }], { actor: null });
        eventId = event.id;
        await other.query(
          `UPDATE "${SCHEMA}".outbox_event SET parked_at = now(), attempts = 5, last_error = 'MESSAGE_TOO_LARGE' WHERE id = $1`,
          [eventId],
        );
        await other.query('COMMIT');
      } finally {
        await other.end();
      }
      const list = await fetch(`${baseUrl}/internal/outbox/parked?limit=10`, { headers: ops });
      expect(list.status).toBe(200);
      expect(await list.json()).toEqual({
        items: [expect.objectContaining({ id: eventId, eventType: 'chassis.note.created', attempts: 5, lastError: 'MESSAGE_TOO_LARGE' })],
        nextAfter: null,
      });
      expect(await echoes(noteId)).toEqual([]);

      expect((await fetch(`${baseUrl}/internal/outbox/parked/${eventId}/requeue`, { method: 'POST', headers: ops })).status).toBe(204);
      await waitFor(async () => (await echoes(noteId)).length === 1);
      expect(((await (await fetch(`${baseUrl}/internal/outbox/parked`, { headers: ops })).json()) as { items: unknown[] }).items).toEqual(
        [],
      );
      // Requeued once; a second time there is nothing parked under that id.
      expect((await fetch(`${baseUrl}/internal/outbox/parked/${eventId}/requeue`, { method: 'POST', headers: ops })).status).toBe(404);
    });

    it('answers 400 naming the field for a bad limit or cursor', async () => {
      const response = await fetch(`${baseUrl}/internal/outbox/parked?limit=0&after=x`, { headers: ops });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { errors: Array<{ field: string }> };
      expect(body.errors.map((error) => error.field).sort()).toEqual(['after', 'limit']);
    });
  });

  describe('/health/live', () => {
    it('counts the event consumers among the liveness checks', async () => {
      const response = await fetch(`${baseUrl}/health/live`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { details: Record<string, { status: string; lastPollAgeMs?: Record<string, number> }> };
      expect(body.details['event-consumers'].status).toBe('up');
      expect(Object.keys(body.details['event-consumers'].lastPollAgeMs ?? {})).toEqual(['chassis.note-echo']);
    });
  });

  describe('OutboxRelay.publishBatch with a broker that refuses one message', () => {
    /** As kafkajs' retrier throws them: the broker's answer wrapped, with the answer as `cause`. */
    const wrapped = <E extends Error>(wrapper: E, cause: Error): E => Object.assign(wrapper, { cause });
    const messageTooLarge = () => {
      // kafkajs' own protocol error for broker error code 10 (MESSAGE_TOO_LARGE, not retriable)
      const answer = new KafkaJSProtocolError(
        Object.assign(new Error('The request included a message larger than the max message size the server will accept'), {
          type: 'MESSAGE_TOO_LARGE',
          code: 10,
          retriable: false,
        }),
      );
      return wrapped(new KafkaJSNonRetriableError(answer), answer);
    };
    const brokerDown = () => {
      const answer = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9');
      // kafkajs' retrier passes retryCount and retryTime, which its type declaration omits
      const RetriesExceeded = KafkaJSNumberOfRetriesExceeded as unknown as new (
        e: Error,
        meta: { retryCount: number; retryTime: number },
      ) => Error;
      return wrapped(new RetriesExceeded(answer, { retryCount: 5, retryTime: 5000 }), answer);
    };

    /** A kafkajs producer whose broker refuses messages keyed `poison` (MESSAGE_TOO_LARGE, non-retriable) and, while `down`, everything. */
    function refusingProducer(state: { down: boolean; sent: string[] }): Producer {
      return {
        connect: async () => undefined,
        disconnect: async () => undefined,
        sendBatch: async ({ topicMessages }: { topicMessages: Array<{ messages: Array<{ key: string }> }> }) => {
          if (state.down) throw brokerDown();
          const keys = topicMessages.flatMap((topic) => topic.messages.map((message) => message.key));
          if (keys.includes('poison')) throw messageTooLarge();
          state.sent.push(...keys);
          return [];
        },
      } as unknown as Producer;
    }

    async function writeRows(keys: string[]): Promise<void> {
      await dataSource.query(`DELETE FROM outbox_event WHERE published_at IS NULL`);
      await dataSource.transaction(async (manager) => {
        await app.get(OutboxService).publish(
          manager,
          keys.map((key) => ({ type: NoteCreated.type, subject: key, orgId: ORG, data: { noteId: key, text: key } })),
          { actor: null },
        );
      });
    }

    const relayWith = (producer: Producer) =>
      new OutboxRelay(
        { serviceName: 'chassis-isolated', schema: SCHEMA, topicPrefix: `${isolation.id}.isolated.`, maxAttempts: 2 },
        dataSource,
        producer,
      );

    it('parks a refused row after maxAttempts and publishes the rows behind it', async () => {
      // The service's own relay must not take these rows: hold it off by stopping it.
      await app.get(OutboxRelay).stop();
      try {
        await writeRows(['poison', 'second', 'third']);
        const state = { down: false, sent: [] as string[] };
        const relay = relayWith(refusingProducer(state));
        await relay.publishBatch(); // refusal 1 of 2
        expect(
          await dataSource.query(`SELECT attempts, parked_at IS NOT NULL AS parked FROM outbox_event WHERE message_key = 'poison'`),
        ).toEqual([{ attempts: 1, parked: false }]);
        await relay.publishBatch(); // refusal 2 of 2: parked
        await relay.publishBatch(); // the rest flow
        expect(state.sent).toEqual(['second', 'third']);
        const [poison] = (await dataSource.query(
          `SELECT id, attempts, parked_at IS NOT NULL AS parked, last_error FROM outbox_event WHERE message_key = 'poison'`,
        )) as Array<{ id: string; attempts: number; parked: boolean; last_error: string }>;
        expect(poison).toMatchObject({ attempts: 2, parked: true });
        expect(poison.last_error).toMatch(/larger than the max message size/);
        expect((await relay.parkedRows(10)).map((row) => row.id)).toEqual([poison.id]);
      } finally {
        await dataSource.query(`DELETE FROM outbox_event WHERE published_at IS NULL`);
        app.get(OutboxRelay).start();
      }
    });

    it('never parks rows while the broker is down, however often the batch fails', async () => {
      await app.get(OutboxRelay).stop();
      try {
        await writeRows(['a', 'b']);
        const state = { down: true, sent: [] as string[] };
        const relay = relayWith(refusingProducer(state));
        for (let i = 0; i < 4; i += 1) await expect(relay.publishBatch()).rejects.toThrow(/ECONNREFUSED/);
        expect(
          await dataSource.query(`SELECT count(*)::int AS n FROM outbox_event WHERE parked_at IS NOT NULL AND published_at IS NULL`),
        ).toEqual([{ n: 0 }]);
        state.down = false;
        expect(await relay.publishBatch()).toBe(2);
        expect(state.sent).toEqual(['a', 'b']);
      } finally {
        await dataSource.query(`DELETE FROM outbox_event WHERE published_at IS NULL`);
        app.get(OutboxRelay).start();
      }
    });
  });
});
