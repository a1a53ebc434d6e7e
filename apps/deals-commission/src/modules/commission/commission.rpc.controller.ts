import { Controller } from '@nestjs/common';
import {
  DealsCommissionSubjects as S,
  type CommissionPlanBody,
  type CommissionPlanListRequest,
  type CommissionPlanUpdateRequest,
  type CommissionReportRequest,
  type CommissionWhatIfRequest,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { CommissionReportService } from '../reports/commission-report.service';
import { CommissionPlansService } from './commission-plans.service';
import { CommissionStatementsService } from './commission-statements.service';

/** NATS responders for commission plans, agents' plans, statements, what-if and reports. */
@Controller()
export class CommissionRpcController {
  constructor(
    private readonly plans: CommissionPlansService,
    private readonly statements: CommissionStatementsService,
    private readonly reports: CommissionReportService,
  ) {}

  @RpcHandler(S.planCreate)
  planCreate(envelope: RequestEnvelope<CommissionPlanBody>) {
    return this.plans.create(envelope);
  }

  @RpcHandler(S.planList)
  planList(envelope: RequestEnvelope<CommissionPlanListRequest>) {
    return this.plans.list(envelope);
  }

  @RpcHandler(S.planGet)
  planGet(envelope: RequestEnvelope<{ id: string }>) {
    return this.plans.get(envelope);
  }

  @RpcHandler(S.planUpdate)
  planUpdate(envelope: RequestEnvelope<CommissionPlanUpdateRequest>) {
    return this.plans.update(envelope);
  }

  @RpcHandler(S.agentPlanSet)
  agentPlanSet(envelope: RequestEnvelope<{ agentId: string; planId: string }>) {
    return this.plans.setAgentPlan(envelope);
  }

  @RpcHandler(S.agentPlanGet)
  agentPlanGet(envelope: RequestEnvelope<{ agentId: string }>) {
    return this.plans.getAgentPlan(envelope);
  }

  @RpcHandler(S.statementGet)
  statementGet(envelope: RequestEnvelope<{ id: string; version?: number }>) {
    return this.statements.get(envelope);
  }

  @RpcHandler(S.whatIf)
  whatIf(envelope: RequestEnvelope<CommissionWhatIfRequest>) {
    return this.statements.whatIf(envelope);
  }

  @RpcHandler(S.report)
  report(envelope: RequestEnvelope<CommissionReportRequest>) {
    return this.reports.report(envelope);
  }
}
