import { Controller } from '@nestjs/common';
import {
  CrmTaskSubjects as S,
  type CrmAgentTaskListRequest,
  type CrmTaskCreateRequest,
  type CrmTaskListRequest,
  type CrmTaskUpdateRequest,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { TasksService } from './tasks.service';

/** NATS responders for tasks. */
@Controller()
export class TasksRpcController {
  constructor(private readonly tasks: TasksService) {}

  @RpcHandler(S.create)
  create(envelope: RequestEnvelope<CrmTaskCreateRequest>) {
    return this.tasks.create(envelope);
  }

  @RpcHandler(S.list)
  list(envelope: RequestEnvelope<CrmTaskListRequest>) {
    return this.tasks.list(envelope);
  }

  @RpcHandler(S.listForAgent)
  listForAgent(envelope: RequestEnvelope<CrmAgentTaskListRequest>) {
    return this.tasks.listForAgent(envelope);
  }

  @RpcHandler(S.get)
  get(envelope: RequestEnvelope<{ id: string }>) {
    return this.tasks.get(envelope);
  }

  @RpcHandler(S.update)
  update(envelope: RequestEnvelope<CrmTaskUpdateRequest>) {
    return this.tasks.update(envelope);
  }

  @RpcHandler(S.complete)
  complete(envelope: RequestEnvelope<{ id: string }>) {
    return this.tasks.complete(envelope);
  }

  @RpcHandler(S.delete)
  async delete(envelope: RequestEnvelope<{ id: string }>) {
    await this.tasks.delete(envelope);
    return null;
  }
}
