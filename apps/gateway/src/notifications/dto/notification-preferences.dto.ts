import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { NOTIFICATION_CHANNELS } from './notifications.dto';

const TYPE = /^[a-z][a-z0-9_]*$/;
const LOCAL_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const TIME_ZONE = /^[A-Za-z][A-Za-z0-9_+\-/]*$/;
const SOURCES = ['default', 'organization', 'identity', 'user', 'mandatory'] as const;

/** One switch: a type's channel on or off (`NotificationChannelSwitch`). */
export class NotificationChannelSwitchDto {
  @ApiProperty({ example: 'lead_assigned', description: 'A notification type (GET /v1/notification-triggers lists them)' })
  @Matches(TYPE, { message: 'type must be a notification type such as lead_assigned' })
  @MaxLength(100)
  type: string;

  @ApiProperty({ enum: NOTIFICATION_CHANNELS })
  @IsIn(NOTIFICATION_CHANNELS)
  channel: (typeof NOTIFICATION_CHANNELS)[number];

  @ApiProperty()
  @IsBoolean()
  enabled: boolean;
}

/** Quiet hours (`QuietHoursView`). */
export class QuietHoursDto {
  @ApiProperty({ example: '21:00', description: 'Local start, HH:mm (inclusive)' })
  @Matches(LOCAL_TIME, { message: 'start must be HH:mm' })
  start: string;

  @ApiProperty({ example: '07:00', description: 'Local end, HH:mm (exclusive); before start = across midnight' })
  @Matches(LOCAL_TIME, { message: 'end must be HH:mm' })
  end: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'America/New_York',
    description: 'IANA time zone; null = the user’s (identity), else the organization’s, else UTC',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(TIME_ZONE, { message: 'timeZone must be an IANA time zone such as America/New_York' })
  timeZone?: string | null;
}

/** `PUT /v1/users/me/notification-preferences`: the whole set (replaces the previous one). */
export class NotificationPreferencesUpdateDto {
  @ApiProperty({ type: [NotificationChannelSwitchDto], description: 'Per type and channel: on or off (absent: the default)' })
  @IsArray()
  @ArrayMaxSize(400)
  @ValidateNested({ each: true })
  @Type(() => NotificationChannelSwitchDto)
  preferences: NotificationChannelSwitchDto[];

  @ApiPropertyOptional({ type: QuietHoursDto, nullable: true, description: 'SMS and push wait for the end of this window; null: none' })
  @IsOptional()
  @ValidateNested()
  @Type(() => QuietHoursDto)
  quietHours?: QuietHoursDto | null;
}

/** `PUT /v1/notification-settings`: the whole set (replaces the previous one). */
export class NotificationSettingsUpdateDto {
  @ApiProperty({
    type: [NotificationChannelSwitchDto],
    description: 'The organization’s default per type and channel (absent: the trigger’s default channels)',
  })
  @IsArray()
  @ArrayMaxSize(400)
  @ValidateNested({ each: true })
  @Type(() => NotificationChannelSwitchDto)
  defaults: NotificationChannelSwitchDto[];

  @ApiProperty({ type: [String], example: ['lead_assigned'], description: 'Types users cannot switch off (their default channels)' })
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(TYPE, { each: true, message: 'each mandatory type must be a notification type such as lead_assigned' })
  mandatoryTypes: string[];

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'America/Los_Angeles',
    description: 'Default zone of quiet hours (IANA); null = UTC',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(TIME_ZONE, { message: 'timeZone must be an IANA time zone such as America/New_York' })
  timeZone?: string | null;
}

export class NotificationChannelSettingDto {
  @ApiProperty({ enum: NOTIFICATION_CHANNELS }) channel: string;
  @ApiProperty() enabled: boolean;
  @ApiProperty({ description: 'On by the organization’s default (or the trigger’s)' }) defaultEnabled: boolean;
  @ApiProperty({ enum: SOURCES, description: 'Where the setting comes from' }) source: string;
}

export class NotificationTypePreferenceDto {
  @ApiProperty({ example: 'lead_assigned' }) type: string;
  @ApiProperty({ description: 'Mandatory: default channels cannot be switched off' }) mandatory: boolean;
  @ApiProperty({ type: [NotificationChannelSettingDto] }) channels: NotificationChannelSettingDto[];
}

export class QuietHoursViewDto {
  @ApiProperty({ example: '21:00' }) start: string;
  @ApiProperty({ example: '07:00' }) end: string;
  @ApiProperty({ type: String, nullable: true, example: 'America/New_York' }) timeZone: string | null;
}

/** `NotificationPreferencesView`. */
export class NotificationPreferencesViewDto {
  @ApiProperty({ type: [NotificationTypePreferenceDto] }) types: NotificationTypePreferenceDto[];
  @ApiProperty({ type: QuietHoursViewDto, nullable: true }) quietHours: QuietHoursViewDto | null;
  @ApiProperty({ example: 'America/New_York', description: 'The zone quiet hours are read in' }) effectiveTimeZone: string;
}

/** `NotificationSettingsView`. */
export class NotificationSettingsViewDto {
  @ApiProperty({ type: [NotificationTypePreferenceDto] }) types: NotificationTypePreferenceDto[];
  @ApiProperty({ type: [String] }) mandatoryTypes: string[];
  @ApiProperty({ type: String, nullable: true }) timeZone: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) updatedAt: string | null;
}
