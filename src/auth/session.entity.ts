import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { User } from '../users/user.entity.js';

export const SESSION_REVOCATION_REASONS = [
  'logout',
  'logout_all',
  'revoked_by_user',
  'password_changed',
  'refresh_token_reuse',
  'user_disabled',
  'user_deleted',
  'roles_reduced',
  'credentials_reset',
  'roles_increased',
  'password_reset',
  'email_changed',
] as const;
export type SessionRevocationReason = (typeof SESSION_REVOCATION_REASONS)[number];

/** One login: the `sid` claim of its access tokens, and the holder of its current refresh token. */
@Entity('sessions')
@Index('sessions_user_id_active_idx', ['userId'], { where: '"revoked_at" IS NULL' })
@Index('sessions_revoked_at_idx', ['revokedAt'], { where: '"revoked_at" IS NOT NULL' })
export class Session {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'sessions_user_id_fkey' })
  user?: Relation<User>;

  /** SHA-256 (base64url) of the current refresh token; the token itself is never stored. */
  @Index('sessions_refresh_token_hash_key', { unique: true })
  @Column({ name: 'refresh_token_hash', type: 'varchar', length: 64 })
  refreshTokenHash: string;

  @Column({ name: 'rotation_counter', type: 'integer', default: 0 })
  rotationCounter: number;

  /** Sign-in time: SESSION_MAX_AGE counts from it, whatever the refreshes. */
  @Index('sessions_created_at_idx')
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', precision: 3 })
  lastUsedAt: Date;

  @Index('sessions_expires_at_idx')
  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3 })
  expiresAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', precision: 3, nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_reason', type: 'varchar', length: 32, nullable: true })
  revokedReason: SessionRevocationReason | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  /** The user's `credentialsVersion` this session was signed in under; refresh requires it current. */
  @Column({ name: 'credentials_version', type: 'integer', default: 1 })
  credentialsVersion: number;
}
