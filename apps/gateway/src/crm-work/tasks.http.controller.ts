import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CrmTaskSubjects as S, type CrmTaskView, type Page } from '@keyhouse/contracts';
import { RequirePermission } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { Idempotent } from '../platform/idempotency.interceptor';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import { uuidParam } from '../users/users.http.controller';
import { AgentTasksQueryDto, CreateTaskDto, ListTasksQueryDto, TaskPageDto, TaskViewDto, UpdateTaskDto } from './dto/tasks.dto';

/**
 * `/v1/tasks`: an agent's to-dos with reminders and recurrence. Agents reach tasks assigned to or
 * created by them, managers also their teams' members', admins the organization's; a task out of
 * reach answers 404 like another organization's.
 */
@ApiTags('tasks')
@ApiBearerAuth()
@Controller('tasks')
export class TasksHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @RequirePermission('tasks:write')
  @Idempotent()
  @ApiOperation({ summary: 'Create a task (assignee defaults to the caller; agents may assign only themselves)' })
  @ApiCreatedResponse({ type: TaskViewDto })
  @ApiProblems(401, 403, 422)
  create(@Req() request: GatewayRequest, @Body() body: CreateTaskDto): Promise<CrmTaskView> {
    return this.rpc.call(S.create, request, body);
  }

  @Get()
  @RequirePermission('tasks:read')
  @ApiOperation({ summary: 'List tasks in reach (filters: assignee, status, type, contact, due range, overdue; sorted by dueAt)' })
  @ApiOkResponse({ type: TaskPageDto })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest, @Query() query: ListTasksQueryDto): Promise<Page<CrmTaskView>> {
    return this.rpc.call(S.list, request, query, { retries: 1 });
  }

  @Get(':id')
  @RequirePermission('tasks:read')
  @ApiOperation({ summary: 'A task' })
  @ApiOkResponse({ type: TaskViewDto })
  @ApiProblems(401, 403, 404)
  get(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<CrmTaskView> {
    return this.rpc.call(S.get, request, { id }, { retries: 1 });
  }

  @Patch(':id')
  @RequirePermission('tasks:write')
  @ApiOperation({ summary: 'Change a task: fields, due time (reminders follow), reopen or cancel' })
  @ApiOkResponse({ type: TaskViewDto })
  @ApiProblems(401, 403, 404)
  update(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Body() body: UpdateTaskDto): Promise<CrmTaskView> {
    return this.rpc.call(S.update, request, { ...body, id });
  }

  @Post(':id/complete')
  @RequirePermission('tasks:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Complete an open task; a recurring one gets its next occurrence (nextOccurrenceId)' })
  @ApiOkResponse({ type: TaskViewDto })
  @ApiProblems(401, 403, 404, 409)
  complete(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<CrmTaskView> {
    return this.rpc.call(S.complete, request, { id });
  }

  @Delete(':id')
  @RequirePermission('tasks:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a task (its pending reminders are cancelled)' })
  @ApiNoContentResponse()
  @ApiProblems(401, 403, 404)
  async delete(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<void> {
    await this.rpc.call(S.delete, request, { id });
  }
}

/** `/v1/agents/:agentId/tasks`: one agent's tasks, within the caller's scope. */
@ApiTags('tasks')
@ApiBearerAuth()
@Controller('agents')
export class AgentTasksHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get(':agentId/tasks')
  @RequirePermission('tasks:read')
  @ApiOperation({ summary: 'Tasks assigned to an agent (403 when the agent is outside the caller’s scope)' })
  @ApiOkResponse({ type: TaskPageDto })
  @ApiProblems(401, 403)
  list(
    @Req() request: GatewayRequest,
    @Param('agentId', uuidParam) agentId: string,
    @Query() query: AgentTasksQueryDto,
  ): Promise<Page<CrmTaskView>> {
    return this.rpc.call(S.listForAgent, request, { ...query, agentId }, { retries: 1 });
  }
}
