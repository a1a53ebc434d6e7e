import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import {
  CRM_TASK_PRIORITIES,
  CRM_TASK_REMINDER_MAX_OFFSET_MINUTES,
  CRM_TASK_REMINDERS_MAX,
  CRM_TASK_STATUSES,
  CRM_TASK_TYPES,
  type CrmTaskPriority,
  type CrmTaskStatus,
  type CrmTaskType,
} from '@keyhouse/contracts';
import { PageQueryDto } from '../../users/dto/users.dto';

/** A date-time with an explicit offset: a bare local time would be read in the server's zone. */
const WITH_ZONE = /(Z|[+-]\d{2}:?\d{2})$/;
const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
/** Query strings are text: `true`/`false` become booleans, anything else stays and fails `@IsIn`. */
const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class CreateTaskDto {
  @ApiProperty({ type: String, maxLength: 200, example: 'Call about the pre-approval letter' })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  title: string;

  @ApiProperty({ type: String, enum: CRM_TASK_TYPES }) @IsIn([...CRM_TASK_TYPES]) type: CrmTaskType;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) @IsOptional() @IsUUID() contactId?: string | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'A deal (transaction) of the deals service' })
  @IsOptional()
  @IsUUID()
  dealId?: string | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'A listing of the listings service' })
  @IsOptional()
  @IsUUID()
  listingId?: string | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'Defaults to the caller' }) @IsOptional() @IsUUID() assigneeId?: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '2030-01-07T17:00:00.000Z',
    description: 'ISO 8601 with a time zone; stored in UTC',
  })
  @IsISO8601({ strict: true, strictSeparator: true })
  @Matches(WITH_ZONE, { message: 'dueAt must carry a time zone (Z or ±hh:mm)' })
  dueAt: string;

  @ApiPropertyOptional({ type: String, enum: CRM_TASK_PRIORITIES, default: 'normal' })
  @IsOptional()
  @IsIn([...CRM_TASK_PRIORITIES])
  priority?: CrmTaskPriority;
  @ApiPropertyOptional({ type: String, maxLength: 5000, nullable: true }) @IsOptional() @IsString() @MaxLength(5000) description?:
    string | null;

  @ApiPropertyOptional({
    type: 'integer',
    isArray: true,
    example: [60, 15],
    description: `Minutes before dueAt (0..${CRM_TASK_REMINDER_MAX_OFFSET_MINUTES}), at most ${CRM_TASK_REMINDERS_MAX}`,
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(CRM_TASK_REMINDERS_MAX)
  @IsInt({ each: true })
  @Min(0, { each: true })
  @Max(CRM_TASK_REMINDER_MAX_OFFSET_MINUTES, { each: true })
  reminders?: number[];

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'FREQ=WEEKLY;BYDAY=MO',
    description:
      'RFC 5545 RRULE without DTSTART (the series starts at dueAt); DAILY..YEARLY. Completing the task creates the next occurrence.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  recurrence?: string | null;
}

/**
 * `PATCH` of a task: title, type, links and description as in {@link CreateTaskDto}, each
 * optional. Declared again because they differ from create: `assigneeId`, `dueAt` and `reminders`
 * refuse null (absent leaves them, null is not a value), `priority` has no default, `recurrence`
 * null stops the series, and `status` only reopens or cancels.
 */
export class UpdateTaskDto extends PartialType(
  OmitType(CreateTaskDto, ['assigneeId', 'dueAt', 'priority', 'reminders', 'recurrence'] as const),
) {
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @ValidateIf((_, value) => value !== undefined) @IsUUID() assigneeId?: string;
  @ApiPropertyOptional({ type: String, format: 'date-time' })
  @ValidateIf((_, value) => value !== undefined)
  @IsISO8601({ strict: true, strictSeparator: true })
  @Matches(WITH_ZONE, { message: 'dueAt must carry a time zone (Z or ±hh:mm)' })
  dueAt?: string;
  @ApiPropertyOptional({
    type: String,
    enum: ['open', 'cancelled'],
    description: 'Reopen or cancel; complete with POST /v1/tasks/:id/complete',
  })
  @IsOptional()
  @IsIn(['open', 'cancelled'])
  status?: 'open' | 'cancelled';
  @ApiPropertyOptional({ type: String, enum: CRM_TASK_PRIORITIES })
  @IsOptional()
  @IsIn([...CRM_TASK_PRIORITIES])
  priority?: CrmTaskPriority;
  @ApiPropertyOptional({ type: 'integer', isArray: true, description: 'Minutes before dueAt (replaces the list)' })
  @ValidateIf((_, value) => value !== undefined)
  @IsArray()
  @ArrayMaxSize(CRM_TASK_REMINDERS_MAX)
  @IsInt({ each: true })
  @Min(0, { each: true })
  @Max(CRM_TASK_REMINDER_MAX_OFFSET_MINUTES, { each: true })
  reminders?: number[];
  @ApiPropertyOptional({ type: String, nullable: true, description: 'RRULE, or null to stop recurring' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  recurrence?: string | null;
}

export class AgentTasksQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: String, enum: CRM_TASK_STATUSES }) @IsOptional() @IsIn([...CRM_TASK_STATUSES]) status?: CrmTaskStatus;
  @ApiPropertyOptional({ type: String, enum: CRM_TASK_TYPES }) @IsOptional() @IsIn([...CRM_TASK_TYPES]) type?: CrmTaskType;
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() contactId?: string;
  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'dueAt ≥ this (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  dueFrom?: string;
  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'dueAt < this (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  dueTo?: string;
  @ApiPropertyOptional({ type: Boolean, description: 'true: open and past due' })
  @IsOptional()
  @Transform(toBoolean)
  @IsIn([true, false])
  overdue?: boolean;
  @ApiPropertyOptional({ type: String, enum: ['dueAt', '-dueAt'], default: 'dueAt' }) @IsOptional() @IsIn(['dueAt', '-dueAt']) sort?:
    'dueAt' | '-dueAt';
}

export class ListTasksQueryDto extends AgentTasksQueryDto {
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() assigneeId?: string;
}

export class TaskViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String }) title: string;
  @ApiProperty({ type: String, enum: CRM_TASK_TYPES }) type: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) contactId: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) dealId: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) listingId: string | null;
  @ApiProperty({ type: String, format: 'uuid' }) assigneeId: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The user who created it' }) createdBy: string | null;
  @ApiProperty({ type: String, format: 'date-time', description: 'UTC ISO 8601' }) dueAt: string;
  @ApiProperty({ type: String, enum: CRM_TASK_STATUSES }) status: string;
  @ApiProperty({ type: String, enum: CRM_TASK_PRIORITIES }) priority: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ type: 'integer', isArray: true, description: 'Minutes before dueAt' }) reminders: number[];
  @ApiProperty({ type: String, nullable: true }) recurrence: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'First task of the recurring series' }) seriesId: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Set when completing a recurring task created the next one' })
  nextOccurrenceId: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) completedAt: string | null;
  @ApiProperty({ type: Boolean, description: 'Open and past due (computed)' }) overdue: boolean;
}

export class TaskPageDto {
  @ApiProperty({ type: [TaskViewDto] }) items: TaskViewDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
