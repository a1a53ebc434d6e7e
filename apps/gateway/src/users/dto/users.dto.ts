import { ApiProperty, ApiPropertyOptional, OmitType, PartialType, PickType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { PAGE_LIMIT_MAX } from '@keyhouse/contracts';

const ROLE_KEY = /^[a-z][a-z0-9-]{1,39}$/;
const PHONE = /^\+[1-9]\d{6,14}$/;
const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Keyset pagination query parameters shared by every list. */
export class PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: PAGE_LIMIT_MAX, default: 25 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(PAGE_LIMIT_MAX)
  limit?: number;

  @ApiPropertyOptional({ type: String, description: 'The `nextCursor` of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;
}

export class NotificationPreferencesDto {
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() email?: boolean;
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() sms?: boolean;
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() inApp?: boolean;
}

export class UpdateMeDto {
  @ApiPropertyOptional({ type: String, maxLength: 200 }) @IsOptional() @IsString() @IsNotEmpty() @MaxLength(200) name?: string;

  @ApiPropertyOptional({ type: String, example: '+12065550100', nullable: true, description: 'E.164' })
  @IsOptional()
  @Matches(PHONE, { message: 'phone must be an E.164 number such as +12065550100' })
  phone?: string | null;

  @ApiPropertyOptional({ type: String, example: 'America/Los_Angeles', description: 'IANA time zone' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, { message: 'timezone must be an IANA time zone name' })
  timezone?: string;

  @ApiPropertyOptional({ type: String, example: 'en-US', description: 'BCP 47 language tag' })
  @IsOptional()
  @Matches(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { message: 'language must be a BCP 47 tag such as en-US' })
  language?: string;

  @ApiPropertyOptional({ type: NotificationPreferencesDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => NotificationPreferencesDto)
  notificationPreferences?: NotificationPreferencesDto;
}

export class CreateUserDto {
  @ApiProperty({ type: String, example: 'sam@evergreen.example' }) @IsEmail() @MaxLength(254) email: string;
  @ApiProperty({ type: String, maxLength: 200 }) @IsString() @IsNotEmpty() @MaxLength(200) name: string;

  @ApiProperty({
    type: String,
    example: 'manager',
    description: 'A built-in role (owner, admin, manager, agent, client) or a custom role key',
  })
  @Matches(ROLE_KEY, { message: 'role must be a role key' })
  role: string;

  @ApiPropertyOptional({ type: String, description: 'Without it the user is invited by email to choose one' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  password?: string;

  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsUUID('all', { each: true })
  teamIds?: string[];

  @ApiPropertyOptional({ type: String, example: '+12065550100' })
  @IsOptional()
  @Matches(PHONE, { message: 'phone must be an E.164 number such as +12065550100' })
  phone?: string;

  @ApiPropertyOptional({ type: String, example: 'America/Los_Angeles' }) @IsOptional() @IsString() @MaxLength(64) timezone?: string;
  @ApiPropertyOptional({ type: String, example: 'en-US' }) @IsOptional() @IsString() @MaxLength(35) language?: string;
}

/**
 * `PATCH` of a user: name, role, teams, time zone and language as in {@link CreateUserDto}, each
 * optional; `phone` is declared again because null clears it here; `status` only reactivates.
 */
export class UpdateUserDto extends PartialType(PickType(CreateUserDto, ['name', 'role', 'teamIds', 'timezone', 'language'] as const)) {
  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @Matches(PHONE, { message: 'phone must be an E.164 number such as +12065550100' })
  phone?: string | null;

  @ApiPropertyOptional({ enum: ['active'], description: 'Reactivate a deactivated user' })
  @IsOptional()
  @IsIn(['active'])
  status?: 'active';
}

export class ListUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: String }) @IsOptional() @Matches(ROLE_KEY) role?: string;
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() teamId?: string;
  @ApiPropertyOptional({ enum: ['active', 'invited', 'deactivated'] }) @IsOptional() @IsIn(['active', 'invited', 'deactivated']) status?:
    'active' | 'invited' | 'deactivated';
  @ApiPropertyOptional({ type: String, description: 'Text search over name and email' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;
}

export class TimeRangeDto {
  @ApiProperty({ type: String, example: '09:00' }) @Matches(TIME_OF_DAY, { message: 'start must be HH:MM' }) start: string;
  @ApiProperty({ type: String, example: '17:30' }) @Matches(TIME_OF_DAY, { message: 'end must be HH:MM' }) end: string;
}

export class WorkingDaysDto {
  @ApiPropertyOptional({ type: [TimeRangeDto], description: 'Monday' })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => TimeRangeDto)
  '1'?: TimeRangeDto[];
  @ApiPropertyOptional({ type: [TimeRangeDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => TimeRangeDto)
  '2'?: TimeRangeDto[];
  @ApiPropertyOptional({ type: [TimeRangeDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => TimeRangeDto)
  '3'?: TimeRangeDto[];
  @ApiPropertyOptional({ type: [TimeRangeDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => TimeRangeDto)
  '4'?: TimeRangeDto[];
  @ApiPropertyOptional({ type: [TimeRangeDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => TimeRangeDto)
  '5'?: TimeRangeDto[];
  @ApiPropertyOptional({ type: [TimeRangeDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => TimeRangeDto)
  '6'?: TimeRangeDto[];
  @ApiPropertyOptional({ type: [TimeRangeDto], description: 'Sunday' })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => TimeRangeDto)
  '7'?: TimeRangeDto[];
}

export class WorkingHoursDto {
  @ApiProperty({ type: String, example: 'America/Los_Angeles' }) @IsString() @MaxLength(64) timezone: string;
  @ApiProperty({ type: WorkingDaysDto, description: 'ISO weekday (1 = Monday) → time ranges' })
  @ValidateNested()
  @Type(() => WorkingDaysDto)
  days: WorkingDaysDto;
}

export class AgentProfileDto {
  @ApiPropertyOptional({ type: String, nullable: true, example: '23012345' }) @IsOptional() @IsString() @MaxLength(64) licenseNumber?:
    string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'WA' })
  @IsOptional()
  @Matches(/^[A-Z]{2}$/, { message: 'licenseState must be a two-letter code' })
  licenseState?: string | null;

  @ApiPropertyOptional({ type: [String], example: ['98103', '98115'], description: 'ZIP codes or region names served' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  @Transform(({ value }) => (Array.isArray(value) ? value.map((v: unknown) => (typeof v === 'string' ? v.trim() : v)) : value))
  regions?: string[];

  @ApiPropertyOptional({ type: [String], example: ['en', 'es'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { each: true, message: 'languages must be BCP 47 tags' })
  languages?: string[];

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 10000, description: 'Maximum active leads' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10000)
  capacity?: number;

  @ApiPropertyOptional({ type: WorkingHoursDto, nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => WorkingHoursDto)
  workingHours?: WorkingHoursDto | null;
}

export class CreateAgentDto extends AgentProfileDto {
  @ApiProperty({ type: String, example: 'alex@evergreen.example' }) @IsEmail() @MaxLength(254) email: string;
  @ApiProperty({ type: String }) @IsString() @IsNotEmpty() @MaxLength(200) name: string;
  @ApiPropertyOptional({ type: String, description: 'Without it the agent is invited by email' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  password?: string;
  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsUUID('all', { each: true })
  teamIds?: string[];
}

export class ListAgentsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: String, example: '98103', description: 'Agents serving this ZIP code or region' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  region?: string;
  @ApiPropertyOptional({ type: String, example: 'es' }) @IsOptional() @IsString() @MaxLength(35) language?: string;
  @ApiPropertyOptional({ type: String, format: 'uuid' }) @IsOptional() @IsUUID() teamId?: string;
  @ApiPropertyOptional({ enum: ['active', 'invited', 'deactivated'], default: 'active' })
  @IsOptional()
  @IsIn(['active', 'invited', 'deactivated'])
  status?: 'active' | 'invited' | 'deactivated';
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(100) q?: string;
}

export class CreateTeamDto {
  @ApiProperty({ type: String, example: 'North Seattle' }) @IsString() @IsNotEmpty() @MaxLength(120) name: string;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) @IsOptional() @IsUUID() managerId?: string | null;
  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @IsUUID('all', { each: true })
  memberIds?: string[];
}

/** `PATCH` of a team: the fields of {@link CreateTeamDto}, each optional. */
export class UpdateTeamDto extends PartialType(CreateTeamDto) {}

export class ListTeamsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(100) q?: string;
}

export class CreateRoleDto {
  @ApiProperty({ type: String, example: 'transaction-coordinator' })
  @Matches(ROLE_KEY, { message: 'key must match [a-z][a-z0-9-]{1,39}' })
  key: string;
  @ApiProperty({ type: String, example: 'Transaction coordinator' }) @IsString() @IsNotEmpty() @MaxLength(120) name: string;
  @ApiProperty({ type: [String], example: ['transactions:read:org', 'transactions:write:org'] })
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  permissions: string[];
}

/** `PATCH` of a custom role: name and permissions as in {@link CreateRoleDto}, each optional; the key is fixed. */
export class UpdateRoleDto extends PartialType(OmitType(CreateRoleDto, ['key'] as const)) {}
