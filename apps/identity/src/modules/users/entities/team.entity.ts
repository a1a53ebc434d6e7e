import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A group of users with an optional manager; managers see their teams' records. */
@Entity({ name: 'team' })
export class TeamEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') orgId: string;
  @Column('text') name: string;
  @Column('uuid', { nullable: true }) managerId: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}

@Entity({ name: 'team_member' })
export class TeamMemberEntity {
  @PrimaryColumn('uuid') teamId: string;
  @PrimaryColumn('uuid') userId: string;
  @Column('uuid') orgId: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}
