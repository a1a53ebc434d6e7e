import { ApiProperty } from '@nestjs/swagger';
import { WorkingHoursDto } from './users.dto';

/** Response shapes, for the OpenAPI document only (the services build the bodies). */
export class NotificationPreferencesView {
  @ApiProperty({ type: Boolean }) email: boolean;
  @ApiProperty({ type: Boolean }) sms: boolean;
  @ApiProperty({ type: Boolean }) inApp: boolean;
}

export class UserViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, format: 'uuid' }) orgId: string;
  @ApiProperty({ type: String }) email: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ nullable: true, type: String }) phone: string | null;
  @ApiProperty({ type: String, example: 'agent' }) role: string;
  @ApiProperty({ enum: ['active', 'invited', 'deactivated'] }) status: string;
  @ApiProperty({ type: [String] }) teamIds: string[];
  @ApiProperty({ type: String, example: 'America/Los_Angeles' }) timezone: string;
  @ApiProperty({ type: String, example: 'en-US' }) language: string;
  @ApiProperty({ type: NotificationPreferencesView }) notificationPreferences: NotificationPreferencesView;
  @ApiProperty({ type: Boolean }) mfaEnabled: boolean;
  @ApiProperty({ type: Boolean }) emailVerified: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) lastLoginAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) updatedAt: string;
}

export class UserPageDto {
  @ApiProperty({ type: [UserViewDto] }) items: UserViewDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class AgentViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) userId: string;
  @ApiProperty({ type: String, format: 'uuid' }) orgId: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ type: String }) email: string;
  @ApiProperty({ enum: ['active', 'invited', 'deactivated'] }) status: string;
  @ApiProperty({ type: [String] }) teamIds: string[];
  @ApiProperty({ nullable: true, type: String }) licenseNumber: string | null;
  @ApiProperty({ nullable: true, type: String }) licenseState: string | null;
  @ApiProperty({ type: [String] }) regions: string[];
  @ApiProperty({ type: [String] }) languages: string[];
  @ApiProperty({ type: Number, description: 'Maximum active leads' }) capacity: number;
  @ApiProperty({ type: WorkingHoursDto, nullable: true, description: 'Weekly availability in `timezone` (IANA); null = always available' })
  workingHours: WorkingHoursDto | null;
  @ApiProperty({ type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) updatedAt: string;
}

export class AgentPageDto {
  @ApiProperty({ type: [AgentViewDto] }) items: AgentViewDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class TeamViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String, format: 'uuid' }) orgId: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) managerId: string | null;
  @ApiProperty({ type: [String] }) memberIds: string[];
  @ApiProperty({ type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', description: 'RFC 3339 timestamp, UTC' }) updatedAt: string;
}

export class TeamPageDto {
  @ApiProperty({ type: [TeamViewDto] }) items: TeamViewDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class RoleViewDto {
  @ApiProperty({ type: String, example: 'agent' }) key: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ type: Boolean }) builtIn: boolean;
  @ApiProperty({ type: [String], example: ['contacts:read:own'] }) permissions: string[];
}
