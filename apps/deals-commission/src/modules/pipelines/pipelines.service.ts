import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
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
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
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

interface PipelineRow {
  id: string;
  name: string;
  is_default: boolean;
  stages: TransactionPipelineStage[];
  created_at: Date;
}

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
    const rows = (await this.dataSource.query(`SELECT * FROM pipeline WHERE org_id = $1 ORDER BY created_at, id LIMIT 100`, [
      actor.orgId,
    ])) as PipelineRow[];
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
      await this.defaultPipeline(manager, actor.orgId);
      const taken = (await manager.query(`SELECT 1 FROM pipeline WHERE org_id = $1 AND lower(name) = lower($2)`, [
        actor.orgId,
        data.name.trim(),
      ])) as unknown[];
      if (taken.length) throw new DomainException('conflict', DealsErrorCode.PipelineNameTaken, 'A pipeline with this name exists');
      if (data.isDefault) await manager.query(`UPDATE pipeline SET is_default = false WHERE org_id = $1 AND is_default`, [actor.orgId]);
      const id = newId();
      const [row] = (await manager.query(
        `INSERT INTO pipeline (id, org_id, name, is_default, stages) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [id, actor.orgId, data.name.trim(), data.isDefault ?? false, JSON.stringify(data.stages)],
      )) as PipelineRow[];
      await unit.emit(DealsEvent.pipelineCreated, id, actor.orgId, { pipelineId: id, name: row.name, stages: data.stages });
      return toView(row);
    });
  }

  /** The pipeline `id` of the organization, or its default pipeline when `id` is absent; 404 `PIPELINE_NOT_FOUND`. */
  async resolve(manager: EntityManager, orgId: string, id?: string | null): Promise<TransactionPipelineView> {
    if (!id) return this.defaultPipeline(manager, orgId);
    const rows = (await manager.query(`SELECT * FROM pipeline WHERE id = $1 AND org_id = $2`, [id, orgId])) as PipelineRow[];
    if (!rows.length) throw DomainException.notFound(DealsErrorCode.PipelineNotFound, 'Pipeline');
    return toView(rows[0]);
  }

  /** The organization's default pipeline, created with `DEFAULT_PIPELINE_STAGES` when it has none. */
  async defaultPipeline(manager: EntityManager, orgId: string): Promise<TransactionPipelineView> {
    const existing = (await manager.query(`SELECT * FROM pipeline WHERE org_id = $1 AND is_default`, [orgId])) as PipelineRow[];
    if (existing.length) return toView(existing[0]);
    await manager.query(
      `INSERT INTO pipeline (id, org_id, name, is_default, stages) VALUES ($1, $2, 'Sales', true, $3) ON CONFLICT DO NOTHING`,
      [newId(), orgId, JSON.stringify(DEFAULT_PIPELINE_STAGES)],
    );
    const rows = (await manager.query(`SELECT * FROM pipeline WHERE org_id = $1 AND is_default`, [orgId])) as PipelineRow[];
    return toView(rows[0]);
  }
}
