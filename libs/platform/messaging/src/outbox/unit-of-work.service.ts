import { Inject, Injectable, Optional } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { Actor, CloudEvent, EventDefinition, RequestEnvelope } from '@keyhouse/contracts';
import { OUTBOX_DATA_SOURCE, OutboxRelay } from './outbox-relay.service';
import { OutboxService, type EventContext } from './outbox.service';

/** Most events one outbox `INSERT` carries (bulk changes emit thousands in one transaction). */
const EVENTS_PER_STATEMENT = 1000;

/**
 * A write in progress, handed to the work of `UnitOfWork.run`: the transaction's `EntityManager`,
 * who acts, the events to commit with it and the work to run once it has committed.
 */
export interface UnitOfWorkContext {
  /** The transaction. Every read and write of the unit goes through it. */
  readonly manager: EntityManager;
  /** Actor and correlation ids that every event of this unit carries. */
  readonly event: EventContext;
  /** The acting user's id: the user, or an API key's creator; `null` for the system. */
  readonly actorId: string | null;
  /**
   * Reads that may be reused for the rest of this unit (an import routes 500 contacts: the
   * organization's rules are read once); present only when `run` was asked for a memo.
   */
  readonly memo?: Map<string, unknown>;
  /**
   * Writes one event of `definition` to the outbox in this transaction: it is published if and only
   * if the unit commits. `subject` is the aggregate id (Kafka key), `orgId` the organization.
   */
  emit<TData>(definition: EventDefinition<TData>, subject: string, orgId: string, data: TData): Promise<CloudEvent<TData>>;
  /** Many events of one type in this transaction, inserted 1,000 per statement. */
  emitMany<TData>(
    definition: EventDefinition<TData>,
    events: ReadonlyArray<{ subject: string; orgId: string; data: TData }>,
  ): Promise<void>;
  /**
   * Work for after the commit (queueing a delayed job that reads the rows, broadcasting a
   * revocation): run in order once the transaction committed, never when it rolled back.
   */
  afterCommit(task: () => unknown): void;
  /**
   * Makes `actor` the actor of the events this unit emits from now on (request id and trace context
   * stay), for a request whose acting user is found only inside the transaction: a password-reset,
   * verification or MFA token names its user. Events already emitted keep theirs.
   */
  actAs(actor: Actor): void;
}

/** Event context of an RPC request: its actor, request id and trace context. */
export function contextOf(envelope: Pick<RequestEnvelope, 'actor' | 'requestId' | 'traceparent'>): EventContext {
  return { actor: envelope.actor, requestId: envelope.requestId, traceparent: envelope.traceparent };
}

/**
 * The one way a service changes state (eShop's "unit of work" with the transactional outbox):
 * `run(context, work)` opens a transaction, hands `work` a `UnitOfWorkContext` whose `emit` writes
 * events to the outbox in that transaction, commits, then runs the after-commit tasks and wakes the
 * outbox relay so the events leave within milliseconds (the outbox insert also `pg_notify`s the
 * relay on commit, for a relay in another process). A throw from `work` rolls everything back and
 * is re-thrown; nothing after-commit runs. An after-commit task that throws stops the tasks after it
 * and its error reaches the caller, although the transaction has committed.
 */
@Injectable()
export class UnitOfWork {
  constructor(
    @Inject(OUTBOX_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
    @Optional() private readonly relay?: OutboxRelay,
  ) {}

  /**
   * Runs `work` in one transaction.
   *
   * @param context an `EventContext` or the RPC request envelope it is taken from.
   * @param options.memo give the unit a read memo (`UnitOfWorkContext.memo`).
   * @throws whatever `work` throws, after the rollback; whatever an after-commit task throws.
   */
  async run<T>(
    context: EventContext | RequestEnvelope,
    work: (unit: UnitOfWorkContext) => Promise<T>,
    options: { memo?: boolean } = {},
  ): Promise<T> {
    let eventContext: EventContext = 'data' in context ? contextOf(context) : { ...context };
    const tasks: Array<() => unknown> = [];
    let emitted = 0;
    const result = await this.dataSource.transaction(async (manager) => {
      const unit: UnitOfWorkContext = {
        manager,
        get event() {
          return eventContext;
        },
        actorId: eventContext.actor?.userId ?? null,
        ...(options.memo ? { memo: new Map<string, unknown>() } : {}),
        emit: async (definition, subject, orgId, data) => {
          emitted += 1;
          const [event] = await this.outbox.publish(
            manager,
            [{ type: definition.type, version: definition.version, subject, orgId, data }],
            eventContext,
          );
          return event as CloudEvent<typeof data>;
        },
        emitMany: async (definition, events) => {
          emitted += events.length;
          for (let i = 0; i < events.length; i += EVENTS_PER_STATEMENT) {
            const inputs = events
              .slice(i, i + EVENTS_PER_STATEMENT)
              .map((e) => ({ type: definition.type, version: definition.version, ...e }));
            await this.outbox.publish(manager, inputs, eventContext);
          }
        },
        afterCommit: (task) => {
          tasks.push(task);
        },
        actAs: (actor) => {
          eventContext = { ...eventContext, actor };
        },
      };
      return work(unit);
    });
    if (emitted > 0) this.relay?.wake();
    for (const task of tasks) await task();
    return result;
  }
}
