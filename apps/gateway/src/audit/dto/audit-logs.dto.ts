import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { PageQueryDto } from '../../users/dto/users.dto';

const ACTION = /^[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Filters of `GET /v1/audit-logs` and `GET /v1/audit-logs/export`. */
export class AuditLogQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Actor id: a user id or an API key id' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  user?: string;

  @ApiPropertyOptional({ description: 'Event type (`identity.user.role_changed`) or a prefix ending in `.*` (`identity.login.*`)' })
  @IsOptional()
  @Matches(ACTION, { message: 'action must be an event type or a prefix ending in .*' })
  @MaxLength(200)
  action?: string;

  @ApiPropertyOptional({ description: 'Target model (`user`, `contact`, `transaction`)' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  model?: string;

  @ApiPropertyOptional({ description: 'Target record id' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  recordId?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Event time ≥ from' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Event time < to' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ example: '2026-11-21', description: 'One UTC day (YYYY-MM-DD)' })
  @IsOptional()
  @Matches(DAY, { message: 'date must be YYYY-MM-DD' })
  date?: string;
}

/** `GET /v1/audit-logs/verify`: bounds on the recording time (both optional; none = the whole chain). */
export class AuditVerifyQueryDto {
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @IsISO8601({ strict: true }) to?: string;
}

export class AuditSettingsDto {
  @ApiPropertyOptional({ description: 'Managers holding `audit:read` at team scope may read entries of their teams’ members' })
  @IsOptional()
  @IsBoolean()
  managersMayRead?: boolean;

  @ApiPropertyOptional({
    nullable: true,
    type: Number,
    minimum: 30,
    maximum: 36500,
    description: 'Days entries are kept before archiving; null = forever',
  })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsInt()
  @Min(30)
  @Max(36500)
  retentionDays?: number | null;
}

export class AuditActorViewDto {
  @ApiProperty({ enum: ['user', 'api_key', 'system'] }) type: string;
  @ApiProperty({ nullable: true, type: String }) id: string | null;
  @ApiProperty({ nullable: true, type: String }) role: string | null;
}

export class AuditTargetViewDto {
  @ApiProperty({ example: 'user' }) model: string;
  @ApiProperty({ nullable: true, type: String }) id: string | null;
}

export class AuditEntryViewDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'Position in the organization’s chain (1, 2, 3…)' }) seq: number;
  @ApiProperty({ example: 'identity.user.role_changed' }) action: string;
  @ApiProperty({ type: AuditActorViewDto }) actor: AuditActorViewDto;
  @ApiProperty({ type: AuditTargetViewDto }) target: AuditTargetViewDto;
  @ApiProperty({ format: 'date-time' }) occurredAt: string;
  @ApiProperty({ format: 'date-time' }) recordedAt: string;
  @ApiProperty({ example: 'keyhouse/identity' }) source: string;
  @ApiProperty({ nullable: true, type: String }) requestId: string | null;
  @ApiProperty({ nullable: true, type: String }) ip: string | null;
  @ApiProperty({ nullable: true, type: String }) userAgent: string | null;
  @ApiProperty({ nullable: true, type: Object, description: '{ field: { from, to } }' }) changes: Record<string, unknown> | null;
  @ApiProperty({ nullable: true, type: Object }) details: Record<string, unknown> | null;
  @ApiProperty() eventId: string;
  @ApiProperty({ description: 'SHA-256 hex of the previous entry' }) prevHash: string;
  @ApiProperty({ description: 'SHA-256 hex of this entry (docs/adr/0015)' }) hash: string;
}

export class AuditEntryPageDto {
  @ApiProperty({ type: [AuditEntryViewDto] }) items: AuditEntryViewDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class AuditChainBreakDto {
  @ApiProperty() seq: number;
  @ApiProperty({ nullable: true, type: String }) id: string | null;
  @ApiProperty({
    enum: [
      'hash_mismatch',
      'prev_hash_mismatch',
      'seq_gap',
      'checkpoint_mismatch',
      'checkpoint_beyond_head',
      'checkpoint_signature_invalid',
      'checkpoint_missing_externally',
    ],
  })
  reason: string;
}

export class AuditVerifyViewDto {
  @ApiProperty() ok: boolean;
  @ApiProperty({ description: 'Entries checked' }) count: number;
  @ApiProperty({ nullable: true, type: Number }) headSeq: number | null;
  @ApiProperty({ nullable: true, type: String }) headHash: string | null;
  @ApiProperty({ description: 'Checkpoints compared with the chain (database rows and the external copy)' }) checkpointsChecked: number;
  @ApiProperty({ description: 'Signed checkpoints read from the external copy, signatures verified' }) externalCheckpoints: number;
  @ApiPropertyOptional({ type: AuditChainBreakDto }) brokenAt?: AuditChainBreakDto;
}

export class AuditSettingsViewDto {
  @ApiProperty() managersMayRead: boolean;
  @ApiProperty({ nullable: true, type: Number }) retentionDays: number | null;
}

export class AuditArchiveViewDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'First seq in the file' }) fromSeq: number;
  @ApiProperty({ description: 'Last seq in the file (its head: the checkpoint in the header)' }) toSeq: number;
  @ApiProperty() entryCount: number;
  @ApiProperty({ description: 'Hash of the entry before fromSeq (64 zeros for seq 1)' }) prevHash: string;
  @ApiProperty({ description: 'Hash of the entry at toSeq' }) headHash: string;
  @ApiProperty({ example: '1-1200.jsonl', description: 'File name in the archive folder of the organization' }) file: string;
  @ApiProperty({ description: 'SHA-256 of the file, lowercase hex' }) fileSha256: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class AuditArchivePageDto {
  @ApiProperty({ type: [AuditArchiveViewDto] }) items: AuditArchiveViewDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class AuditCheckpointViewDto {
  @ApiProperty({ format: 'uuid' }) orgId: string;
  @ApiProperty() seq: number;
  @ApiProperty({ description: 'Hash of the entry at seq (lowercase hex SHA-256)' }) hash: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ nullable: true, type: String, description: 'Id of the signing key (null: taken before signing)' }) keyId: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description:
      'Ed25519 signature, base64, over "keyhouse.audit.checkpoint/v1\\n<orgId>\\n<seq>\\n<hash>\\n<createdAt>\\n" (docs/adr/0020)',
  })
  signature: string | null;
}

export class AuditCheckpointPageDto {
  @ApiProperty({ type: [AuditCheckpointViewDto] }) items: AuditCheckpointViewDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Public keys by key id: raw 32-byte Ed25519, base64',
  })
  publicKeys: Record<string, string>;
}
