import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const AUTH_EVENT_TYPES = [
  'registered',
  'login_succeeded',
  'login_failed',
  'refresh',
  'refresh_reuse_detected',
  'logout',
  'logout_all',
  'session_revoked',
  'password_changed',
  'password_reset_requested',
  'password_reset_completed',
  'email_verification_sent',
  'email_verified',
  'email_change_requested',
  'email_change_confirmed',
  'account_disabled',
  'account_enabled',
  'account_deleted',
  'roles_changed',
] as const;
export type AuthEventType = (typeof AUTH_EVENT_TYPES)[number];

/** Small facts about an event (which session, which roles); never a secret. */
export type AuthEventDetails = Record<string, string | number | boolean | null | string[]>;

/**
 * What happened to an account, for its owner and for admins. No foreign key: an account's
 * `account_deleted` event outlives it until AUDIT_RETENTION_DAYS. Never holds a secret.
 */
@Entity('auth_events')
@Index('auth_events_user_id_created_at_idx', ['userId', 'createdAt', 'id'])
@Index('auth_events_created_at_idx', ['createdAt'])
export class AuthEvent {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'varchar', length: 48 })
  type: AuthEventType;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  /** The admin who acted on the account, when it was not its owner. */
  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId: string | null;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  details: AuthEventDetails;
}
