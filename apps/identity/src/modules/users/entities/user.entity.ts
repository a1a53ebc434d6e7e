import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { NotificationPreferences, UserStatus } from '@keyhouse/contracts';

/** A person who signs in: owner, admin, manager, agent, client, or a custom role. */
@Entity({ name: 'app_user' })
export class UserEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') orgId: string;
  @Column('citext') email: string;
  @Column('text') name: string;
  @Column('text', { nullable: true }) phone: string | null;
  /** Argon2id PHC string; null until an invited user sets a password. */
  @Column('text', { nullable: true, select: true }) passwordHash: string | null;
  @Column('text') role: string;
  @Column('text') status: UserStatus;
  @Column('text') timezone: string;
  @Column('text') language: string;
  @Column('jsonb') notificationPreferences: NotificationPreferences;
  @Column('boolean') mfaEnabled: boolean;
  /** TOTP seed, encrypted (`SecretCipher`, AAD `identity|app_user|mfa|<id>`). */
  @Column('text', { nullable: true }) mfaSecretEnc: string | null;
  @Column('text', { nullable: true }) mfaPendingSecretEnc: string | null;
  /** Last accepted TOTP time step (RFC 6238 T), for replay protection. */
  @Column('bigint', { nullable: true }) mfaLastTimeStep: string | null;
  @Column('timestamptz', { nullable: true }) emailVerifiedAt: Date | null;
  @Column('timestamptz', { nullable: true }) lastLoginAt: Date | null;
  @Column('timestamptz', { nullable: true }) deactivatedAt: Date | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
