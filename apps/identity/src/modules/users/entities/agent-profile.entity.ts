import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { WorkingHours } from '@keyhouse/contracts';

/** What lead routing needs to know about an agent: where, which languages, how many leads, when. */
@Entity({ name: 'agent_profile' })
export class AgentProfileEntity {
  @PrimaryColumn('uuid') userId: string;
  @Column('uuid') orgId: string;
  @Column('text', { nullable: true }) licenseNumber: string | null;
  @Column('text', { nullable: true }) licenseState: string | null;
  @Column('text', { array: true }) regions: string[];
  @Column('text', { array: true }) languages: string[];
  @Column('integer') capacity: number;
  @Column('jsonb', { nullable: true }) workingHours: WorkingHours | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
