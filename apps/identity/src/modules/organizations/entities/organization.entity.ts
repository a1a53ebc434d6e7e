import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A brokerage: the tenant every other record belongs to. */
@Entity({ name: 'organization' })
export class OrganizationEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('text', { nullable: true }) displayName: string | null;
  @Column('text', { nullable: true }) logoUrl: string | null;
  @Column('text', { nullable: true }) primaryColor: string | null;
  @Column('text', { nullable: true }) secondaryColor: string | null;
  /** Basis points (1/100 of a percent). */
  @Column('integer') affiliateRateBps: number;
  @Column('text', { array: true }) mfaRequiredRoles: string[];
  @Column('integer') sessionLifetimeMinutes: number;
  @Column('text') publicFormKey: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
