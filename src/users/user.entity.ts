import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
} from 'typeorm';

export const USER_ROLES = ['user', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const USER_STATUSES = ['active', 'disabled'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

@Entity('users')
@Index('users_email_key', ['email'], { unique: true })
@Index('users_created_at_id_idx', ['createdAt', 'id'])
// Created by the migration (text_pattern_ops, GIN), which TypeORM cannot express; left alone by it.
@Index('users_email_prefix_idx', { synchronize: false })
@Index('users_roles_idx', { synchronize: false })
@Check('users_status_check', `"status" IN ('active', 'disabled')`)
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Stored normalized (trimmed, NFKC, lower-case), so the unique index is case-insensitive. */
  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  // text: validation bounds the length; the column must never be the one to refuse a value.
  @Column({ name: 'display_name', type: 'text', nullable: true })
  displayName: string | null;

  @Column({ type: 'varchar', length: 16, array: true, default: () => `'{user}'` })
  roles: UserRole[];

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status: UserStatus;

  /** Set when the owner followed a verification (or email change) link sent to `email`. */
  @Column({ name: 'email_verified', type: 'boolean', default: false })
  emailVerified: boolean;

  // Millisecond precision: JavaScript dates carry no more, and pagination cursors compare them.
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt: Date;

  /** Optimistic concurrency: incremented on every update, exposed as the ETag. */
  @VersionColumn({ default: 1 })
  version: number;

  /**
   * Incremented, in the statement that makes the change, by every change that must end sessions
   * (password, status, roles). A session stores the value it was signed in under and can be neither
   * created nor refreshed once it is behind.
   */
  @Column({ name: 'credentials_version', type: 'integer', default: 1 })
  credentialsVersion: number;
}
