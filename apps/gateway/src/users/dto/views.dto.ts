import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Response shapes, for the OpenAPI document only (the services build the bodies). */
export class NotificationPreferencesView {
  @ApiProperty() email: boolean;
  @ApiProperty() sms: boolean;
  @ApiProperty() inApp: boolean;
}

export class UserViewDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) orgId: string;
  @ApiProperty() email: string;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String }) phone: string | null;
  @ApiProperty({ example: 'agent' }) role: string;
  @ApiProperty({ enum: ['active', 'invited', 'deactivated'] }) status: string;
  @ApiProperty({ type: [String] }) teamIds: string[];
  @ApiProperty({ example: 'America/Los_Angeles' }) timezone: string;
  @ApiProperty({ example: 'en-US' }) language: string;
  @ApiProperty({ type: NotificationPreferencesView }) notificationPreferences: NotificationPreferencesView;
  @ApiProperty() mfaEnabled: boolean;
  @ApiProperty() emailVerified: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastLoginAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class UserPageDto {
  @ApiProperty({ type: [UserViewDto] }) items: UserViewDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class AgentViewDto {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ format: 'uuid' }) orgId: string;
  @ApiProperty() name: string;
  @ApiProperty() email: string;
  @ApiProperty({ enum: ['active', 'invited', 'deactivated'] }) status: string;
  @ApiProperty({ type: [String] }) teamIds: string[];
  @ApiProperty({ nullable: true, type: String }) licenseNumber: string | null;
  @ApiProperty({ nullable: true, type: String }) licenseState: string | null;
  @ApiProperty({ type: [String] }) regions: string[];
  @ApiProperty({ type: [String] }) languages: string[];
  @ApiProperty({ description: 'Maximum active leads' }) capacity: number;
  @ApiPropertyOptional({ nullable: true, type: Object }) workingHours: unknown;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class AgentPageDto {
  @ApiProperty({ type: [AgentViewDto] }) items: AgentViewDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class TeamViewDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) orgId: string;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) managerId: string | null;
  @ApiProperty({ type: [String] }) memberIds: string[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class TeamPageDto {
  @ApiProperty({ type: [TeamViewDto] }) items: TeamViewDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class RoleViewDto {
  @ApiProperty({ example: 'agent' }) key: string;
  @ApiProperty() name: string;
  @ApiProperty() builtIn: boolean;
  @ApiProperty({ type: [String], example: ['contacts:read:own'] }) permissions: string[];
}
