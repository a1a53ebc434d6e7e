import { Controller } from '@nestjs/common';
import {
  IdentityUserSubjects as S,
  type AgentListRequest,
  type AgentUpsertRequest,
  type RequestEnvelope,
  type RoleCreateRequest,
  type RoleUpdateRequest,
  type TeamCreateRequest,
  type TeamListRequest,
  type TeamUpdateRequest,
  type UpdateMeRequest,
  type UserCreateRequest,
  type UserListRequest,
  type UserUpdateRequest,
} from '@keyhouse/contracts';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { AgentsService } from './agents.service';
import { RolesService } from './roles.service';
import { TeamsService } from './teams.service';
import { UsersService } from './users.service';

/** NATS responders for users, agents, teams and roles. */
@Controller()
export class UsersRpcController {
  constructor(
    private readonly users: UsersService,
    private readonly agents: AgentsService,
    private readonly teams: TeamsService,
    private readonly roles: RolesService,
  ) {}

  @RpcHandler(S.getMe)
  getMe(envelope: RequestEnvelope) {
    return this.users.getMe(envelope);
  }

  @RpcHandler(S.updateMe)
  updateMe(envelope: RequestEnvelope<UpdateMeRequest>) {
    return this.users.updateMe(envelope);
  }

  @RpcHandler(S.create)
  create(envelope: RequestEnvelope<UserCreateRequest>) {
    return this.users.create(envelope);
  }

  @RpcHandler(S.list)
  list(envelope: RequestEnvelope<UserListRequest>) {
    return this.users.list(envelope);
  }

  @RpcHandler(S.get)
  get(envelope: RequestEnvelope<{ id: string }>) {
    return this.users.get(envelope);
  }

  @RpcHandler(S.update)
  update(envelope: RequestEnvelope<UserUpdateRequest>) {
    return this.users.update(envelope);
  }

  @RpcHandler(S.deactivate)
  deactivate(envelope: RequestEnvelope<{ id: string }>) {
    return this.users.deactivate(envelope);
  }

  @RpcHandler(S.agentList)
  agentList(envelope: RequestEnvelope<AgentListRequest>) {
    return this.agents.list(envelope);
  }

  @RpcHandler(S.agentGet)
  agentGet(envelope: RequestEnvelope<{ id: string }>) {
    return this.agents.get(envelope);
  }

  @RpcHandler(S.agentUpsert)
  agentUpsert(envelope: RequestEnvelope<AgentUpsertRequest>) {
    return this.agents.upsert(envelope);
  }

  @RpcHandler(S.agentRemove)
  agentRemove(envelope: RequestEnvelope<{ id: string }>) {
    return this.agents.remove(envelope);
  }

  @RpcHandler(S.teamCreate)
  teamCreate(envelope: RequestEnvelope<TeamCreateRequest>) {
    return this.teams.create(envelope);
  }

  @RpcHandler(S.teamList)
  teamList(envelope: RequestEnvelope<TeamListRequest>) {
    return this.teams.list(envelope);
  }

  @RpcHandler(S.teamGet)
  teamGet(envelope: RequestEnvelope<{ id: string }>) {
    return this.teams.get(envelope);
  }

  @RpcHandler(S.teamUpdate)
  teamUpdate(envelope: RequestEnvelope<TeamUpdateRequest>) {
    return this.teams.update(envelope);
  }

  @RpcHandler(S.teamDelete)
  teamDelete(envelope: RequestEnvelope<{ id: string }>) {
    return this.teams.delete(envelope);
  }

  @RpcHandler(S.roleList)
  roleList(envelope: RequestEnvelope) {
    return this.roles.list(envelope);
  }

  @RpcHandler(S.roleCreate)
  roleCreate(envelope: RequestEnvelope<RoleCreateRequest>) {
    return this.roles.create(envelope);
  }

  @RpcHandler(S.roleUpdate)
  roleUpdate(envelope: RequestEnvelope<RoleUpdateRequest>) {
    return this.roles.update(envelope);
  }

  @RpcHandler(S.roleDelete)
  roleDelete(envelope: RequestEnvelope<{ key: string }>) {
    return this.roles.delete(envelope);
  }
}
