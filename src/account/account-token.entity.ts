import {
  Check,
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

export const ACCOUNT_TOKEN_PURPOSES = ['verify_email', 'reset_password', 'change_email'] as const;
export type AccountTokenPurpose = (typeof ACCOUNT_TOKEN_PURPOSES)[number];

/**
 * A single-use link token sent by mail (email verification, password reset, email change). Only
 * its SHA-256 is stored; issuing a new one of the same purpose deletes the older unused ones.
 */
@Entity('account_tokens')
@Index('account_tokens_user_id_purpose_idx', ['userId', 'purpose'])
@Check(
  'account_tokens_purpose_check',
  `"purpose" IN ('verify_email', 'reset_password', 'change_email')`,
)
export class AccountToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'account_tokens_user_id_fkey' })
  user?: Relation<User>;

  @Column({ type: 'varchar', length: 16 })
  purpose: AccountTokenPurpose;

  /** SHA-256 (base64url) of the token. */
  @Index('account_tokens_token_hash_key', { unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  /**
   * The address the link was mailed to: a verification applies only while it is still the
   * account's; an email change moves the account to it.
   */
  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Index('account_tokens_expires_at_idx')
  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3 })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', precision: 3, nullable: true })
  usedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;
}
