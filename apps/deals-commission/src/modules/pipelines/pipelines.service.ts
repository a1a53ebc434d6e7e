import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Selectable } from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';
import {
  DealsEvent,
  DealsTransactionSubjects,
  type DealsEmptyRequest,
  type RequestEnvelope,
  type TransactionPipelineCreateRequest,
  type TransactionPipelineStage,
  type TransactionPipelineView,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { DealsCommissionDb } from '../../database/deals-commission.db';
import { DealsErrorCode } from '../../deals-commission.exception';
import { actorOf, scopeFor } from '../scope.util';

/** The default pipeline of every organization (the seeds' stages), created on first use. */
export const DEFAULT_PIPELINE_STAGES: TransactionPipelineStage[] = [
  { key: 'contacted', name: 'Contacted', probability: 10, outcome: 'open' },
  { key: 'meeting', name: 'Meeting', probability: 25, outcome: 'open' },
  { key: 'offer', name: 'Offer', probability: 50, outcome: 'open' },
  { key: 'accepted', name: 'Accepted', probability: 80, outcome: 'open' },
  { key: 'closed', name: 'Closed', probability: 100, outcome: 'won' },
  { key: 'lost', name: 'Lost', probability: 0, outcome: 'lost' },
];

/** A row of `pipeline` (declared by the migrations: `deals-commission.db.ts`). */
type PipelineRow = Selectable<DealsCommissionDb['pipeline']>;

function toView(row: PipelineRow): TransactionPipelineView {
  return { id: row.id, name: row.name, isDefault: row.is_default, stages: row.stages, createdAt: row.created_at.toISOString() };
}

/** Pipelines per organization: ordered stages with a probability (percent) and an outcome (open, won, lost). */
@Injectable()
export class PipelinesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** The organization's pipelines (at most 100), oldest first; the default one is created on first use. */
  @RpcHandler(DealsTransactionSubjects.pipelineList)
  async list(envelope: RequestEnvelope<DealsEmptyRequest>): Promise<{ items: TransactionPipelineView[] }> {
    const actor = actorOf(envelope);
    scopeFor(actor, 'transactions:read');
    await this.unitOfWork.run(envelope, (unit) => this.defaultPipeline(unit.manager, actor.orgId));
    const rows = await kyselyFor<DealsCommissionDb>(this.dataSource)
      .selectFrom('pipeline')
      .selectAll()
      .where('org_id', '=', actor.orgId)
      .orderBy('created_at')
      .orderBy('id')
      .limit(100)
      .execute();
    return { items: rows.map(toView) };
  }

  /** Creates a pipeline (admin: `transactions:write` at org scope). 409 `PIPELINE_NAME_TAKEN`; 400 for stages without exactly one won and at most one lost stage. */
  @RpcHandler(DealsTransactionSubjects.pipelineCreate)
  async create(envelope: RequestEnvelope<TransactionPipelineCreateRequest>): Promise<TransactionPipelineView> {
    const actor = actorOf(envelope);
    scopeFor(actor, 'transactions:write', 'org');
    const data = envelope.data;
    const keys = new Set(data.stages.map((stage) => stage.key));
    const won = data.stages.filter((stage) => stage.outcome === 'won').length;
    const lost = data.stages.filter((stage) => stage.outcome === 'lost').length;
    if (keys.size !== data.stages.length || won !== 1 || lost > 1) {
      throw DomainException.validation([
        { field: 'stages', message: 'stage keys must be unique, with exactly one won stage and at most one lost stage' },
      ]);
    }
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const db = kyselyFor<DealsCommissionDb>(manager);
      await this.defaultPipeline(manager, actor.orgId);
      const taken = await db
        .selectFrom('pipeline')
        .select((eb) => eb.lit(1).as('one'))
        .where('org_id', '=', actor.orgId)
        .where((eb) => eb(eb.fn('lower', ['name']), '=', eb.fn('lower', [eb.val(data.name.trim())])))
        .executeTakeFirst();
      if (taken) throw new DomainException('conflict', DealsErrorCode.PipelineNameTaken, 'A pipeline with this name exists');
      if (data.isDefault) {
        await db
          .updateTable('pipeline')
          .set({ is_default: false })
          .where('org_id', '=', actor.orgId)
          .where((eb) => eb.ref('is_default'))
          .execute();
      }
      const id = newId();
      const row = await db
        .insertInto('pipeline')
        .values({
          id,
          org_id: actor.orgId,
          name: data.name.trim(),
          is_default: data.isDefault ?? false,
          stages: JSON.stringify(data.stages),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await unit.emit(DealsEvent.pipelineCreated, id, actor.orgId, { pipelineId: id, name: row.name, stages: data.stages });
      return toView(row);
    });
  }

  /** The pipeline `id` of the organization, or its default pipeline when `id` is absent; 404 `PIPELINE_NOT_FOUND`. */
  async resolve(manager: EntityManager, orgId: string, id?: string | null): Promise<TransactionPipelineView> {
    if (!id) return this.defaultPipeline(manager, orgId);
    const row = await kyselyFor<DealsCommissionDb>(manager)
      .selectFrom('pipeline')
      .selectAll()
      .where('id', '=', id)
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    if (!row) throw DomainException.notFound(DealsErrorCode.PipelineNotFound, 'Pipeline');
    return toView(row);
  }

  /** The organization's default pipeline, created with `DEFAULT_PIPELINE_STAGES` when it has none. */
  async defaultPipeline(manager: EntityManager, orgId: string): Promise<TransactionPipelineView> {
    const db = kyselyFor<DealsCommissionDb>(manager);
    const selectDefault = () =>
      db
        .selectFrom('pipeline')
        .selectAll()
        .where('org_id', '=', orgId)
        .where((eb) => eb.ref('is_default'))
        .executeTakeFirst();
    const existing = await selectDefault();
    if (existing) return toView(existing);
    await db
      .insertInto('pipeline')
      .values({ id: newId(), org_id: orgId, name: 'Sales', is_default: true, stages: JSON.stringify(DEFAULT_PIPELINE_STAGES) })
      .onConflict((conflict) => conflict.doNothing())
      .execute();
    const created = await selectDefault();
    if (!created) throw new Error(`pipeline: no default pipeline for organization ${orgId} after creating it`);
    return toView(created);
  }
}
