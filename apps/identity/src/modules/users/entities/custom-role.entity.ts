import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A role an organization composed from permissions (`resource:action:scope`). */
@Entity({ name: 'custom_role' })
export class CustomRoleEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') orgId: string;
  @Column('text') key: string;
  @Column('text') name: string;
  @Column('text', { array: true }) permissions: string[];
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
