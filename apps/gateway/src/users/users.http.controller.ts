import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IdentityUserSubjects as S, type AgentView, type Page, type RoleView, type TeamView, type UserView } from '@keyhouse/contracts';
import { Authenticated, RequirePermission } from '@keyhouse/platform/auth';
import { DomainException } from '@keyhouse/platform/messaging';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { Idempotent } from '../platform/idempotency.interceptor';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import {
  AgentProfileDto,
  CreateAgentDto,
  CreateRoleDto,
  CreateTeamDto,
  CreateUserDto,
  ListAgentsQueryDto,
  ListTeamsQueryDto,
  ListUsersQueryDto,
  UpdateMeDto,
  UpdateRoleDto,
  UpdateTeamDto,
  UpdateUserDto,
} from './dto/users.dto';
import { AgentPageDto, AgentViewDto, RoleViewDto, TeamPageDto, TeamViewDto, UserPageDto, UserViewDto } from './dto/views.dto';

/** A path id that is not a UUID is a 400 naming the parameter. */
export const uuidParam = new ParseUUIDPipe({
  exceptionFactory: () => DomainException.validation([{ field: 'id', message: 'must be a UUID' }]),
});

/** `/v1/users`: the caller's profile and user administration. */
@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'The caller’s own profile' })
  @ApiOkResponse({ type: UserViewDto })
  @ApiProblems(401, 403)
  me(@Req() request: GatewayRequest): Promise<UserView> {
    return this.rpc.call(S.getMe, request, {}, { retries: 1 });
  }

  @Patch('me')
  @Authenticated()
  @ApiOperation({ summary: 'Update the caller’s profile, time zone, language and notification channels' })
  @ApiOkResponse({ type: UserViewDto })
  @ApiProblems(401, 403)
  updateMe(@Req() request: GatewayRequest, @Body() body: UpdateMeDto): Promise<UserView> {
    return this.rpc.call(S.updateMe, request, body);
  }

  @Post()
  @RequirePermission('users:write')
  @Idempotent()
  @ApiOperation({ summary: 'Create a user, or invite one by email when no password is given (admin)' })
  @ApiCreatedResponse({ type: UserViewDto })
  @ApiProblems(401, 403, 409, 422)
  create(@Req() request: GatewayRequest, @Body() body: CreateUserDto): Promise<UserView> {
    return this.rpc.call(S.create, request, body);
  }

  @Get()
  @RequirePermission('users:read')
  @ApiOperation({ summary: 'List users visible to the caller (filters: role, team, status, q)' })
  @ApiOkResponse({ type: UserPageDto })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest, @Query() query: ListUsersQueryDto): Promise<Page<UserView>> {
    return this.rpc.call(S.list, request, query, { retries: 1 });
  }

  @Get(':id')
  @RequirePermission('users:read')
  @ApiOperation({ summary: 'A user' })
  @ApiOkResponse({ type: UserViewDto })
  @ApiProblems(401, 403, 404)
  get(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<UserView> {
    return this.rpc.call(S.get, request, { id }, { retries: 1 });
  }

  @Patch(':id')
  @RequirePermission('users:write')
  @ApiOperation({ summary: 'Update a user: profile, role, teams, reactivation (admin)' })
  @ApiOkResponse({ type: UserViewDto })
  @ApiProblems(401, 403, 404, 409)
  update(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Body() body: UpdateUserDto): Promise<UserView> {
    return this.rpc.call(S.update, request, { ...body, id });
  }

  @Delete(':id')
  @RequirePermission('users:write')
  @ApiOperation({ summary: 'Deactivate a user: cannot log in, sessions revoked, history kept (admin)' })
  @ApiOkResponse({ type: UserViewDto })
  @ApiProblems(401, 403, 404, 409)
  deactivate(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<UserView> {
    return this.rpc.call(S.deactivate, request, { id });
  }
}

/** `/v1/agents`: agent profiles used by lead routing. */
@ApiTags('agents')
@ApiBearerAuth()
@Controller('agents')
export class AgentsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get()
  @RequirePermission('agents:read')
  @ApiOperation({ summary: 'List agents (filters: region/ZIP, language, team, status, q)' })
  @ApiOkResponse({ type: AgentPageDto })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest, @Query() query: ListAgentsQueryDto): Promise<Page<AgentView>> {
    return this.rpc.call(S.agentList, request, query, { retries: 1 });
  }

  @Get(':id')
  @RequirePermission('agents:read')
  @ApiOperation({ summary: 'An agent by user id' })
  @ApiOkResponse({ type: AgentViewDto })
  @ApiProblems(401, 403, 404)
  get(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<AgentView> {
    return this.rpc.call(S.agentGet, request, { id }, { retries: 1 });
  }

  @Post()
  @RequirePermission('agents:write')
  @Idempotent()
  @ApiOperation({ summary: 'Add an agent: creates (or invites) the user with role agent and the profile (admin)' })
  @ApiCreatedResponse({ type: AgentViewDto })
  @ApiProblems(401, 403, 409, 422)
  create(@Req() request: GatewayRequest, @Body() body: CreateAgentDto): Promise<AgentView> {
    return this.rpc.call(S.agentUpsert, request, body);
  }

  @Patch(':id')
  @RequirePermission('agents:write')
  @ApiOperation({ summary: 'Update an agent’s profile (admin)' })
  @ApiOkResponse({ type: AgentViewDto })
  @ApiProblems(401, 403, 404, 409)
  update(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Body() body: AgentProfileDto): Promise<AgentView> {
    return this.rpc.call(S.agentUpsert, request, { ...body, userId: id });
  }

  @Delete(':id')
  @RequirePermission('agents:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an agent: the user is deactivated, history kept (admin)' })
  @ApiNoContentResponse()
  @ApiProblems(401, 403, 404)
  async remove(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<void> {
    await this.rpc.call(S.agentRemove, request, { id });
  }
}

/** `/v1/teams`: groups with a manager. */
@ApiTags('teams')
@ApiBearerAuth()
@Controller('teams')
export class TeamsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @RequirePermission('teams:write')
  @Idempotent()
  @ApiOperation({ summary: 'Create a team (admin)' })
  @ApiCreatedResponse({ type: TeamViewDto })
  @ApiProblems(401, 403, 409, 422)
  create(@Req() request: GatewayRequest, @Body() body: CreateTeamDto): Promise<TeamView> {
    return this.rpc.call(S.teamCreate, request, body);
  }

  @Get()
  @RequirePermission('teams:read')
  @ApiOperation({ summary: 'List teams' })
  @ApiOkResponse({ type: TeamPageDto })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest, @Query() query: ListTeamsQueryDto): Promise<Page<TeamView>> {
    return this.rpc.call(S.teamList, request, query, { retries: 1 });
  }

  @Get(':id')
  @RequirePermission('teams:read')
  @ApiOperation({ summary: 'A team' })
  @ApiOkResponse({ type: TeamViewDto })
  @ApiProblems(401, 403, 404)
  get(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<TeamView> {
    return this.rpc.call(S.teamGet, request, { id }, { retries: 1 });
  }

  @Patch(':id')
  @RequirePermission('teams:write')
  @ApiOperation({ summary: 'Rename a team, change its manager or members (admin)' })
  @ApiOkResponse({ type: TeamViewDto })
  @ApiProblems(401, 403, 404, 409)
  update(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Body() body: UpdateTeamDto): Promise<TeamView> {
    return this.rpc.call(S.teamUpdate, request, { ...body, id });
  }

  @Delete(':id')
  @RequirePermission('teams:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a team (admin)' })
  @ApiNoContentResponse()
  @ApiProblems(401, 403, 404)
  async delete(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<void> {
    await this.rpc.call(S.teamDelete, request, { id });
  }
}

/** `/v1/roles`: built-in roles and custom roles made of permissions. */
@ApiTags('roles')
@ApiBearerAuth()
@Controller('roles')
export class RolesHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get()
  @RequirePermission('roles:read')
  @ApiOperation({ summary: 'Built-in and custom roles with their permissions' })
  @ApiOkResponse({ type: [RoleViewDto] })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest): Promise<RoleView[]> {
    return this.rpc.call(S.roleList, request, {}, { retries: 1 });
  }

  @Post()
  @RequirePermission('roles:write')
  @Idempotent()
  @ApiOperation({ summary: 'Create a custom role (admin)' })
  @ApiCreatedResponse({ type: RoleViewDto })
  @ApiProblems(401, 403, 409, 422)
  create(@Req() request: GatewayRequest, @Body() body: CreateRoleDto): Promise<RoleView> {
    return this.rpc.call(S.roleCreate, request, body);
  }

  @Patch(':key')
  @RequirePermission('roles:write')
  @ApiOperation({ summary: 'Rename a custom role or change its permissions (admin)' })
  @ApiOkResponse({ type: RoleViewDto })
  @ApiProblems(401, 403, 404)
  update(@Req() request: GatewayRequest, @Param('key') key: string, @Body() body: UpdateRoleDto): Promise<RoleView> {
    return this.rpc.call(S.roleUpdate, request, { ...body, key });
  }

  @Delete(':key')
  @RequirePermission('roles:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a custom role nobody holds (admin)' })
  @ApiNoContentResponse()
  @ApiProblems(401, 403, 404, 409)
  async delete(@Req() request: GatewayRequest, @Param('key') key: string): Promise<void> {
    await this.rpc.call(S.roleDelete, request, { key });
  }
}
