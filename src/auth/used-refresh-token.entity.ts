import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  type Relation,
} from 'typeorm';
import { Session } from './session.entity.js';

/**
 * A refresh token that has been rotated away. Presenting one again is reuse (the session is
 * revoked), except within the grace window, where the pair it produced is returned again.
 */
@Entity('used_refresh_tokens')
export class UsedRefreshToken {
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  @Index('used_refresh_tokens_session_id_idx')
  @Column({ name: 'session_id', type: 'uuid' })
  sessionId: string;

  @ManyToOne(() => Session, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'session_id',
    foreignKeyConstraintName: 'used_refresh_tokens_session_id_fkey',
  })
  session?: Relation<Session>;

  @Index('used_refresh_tokens_rotated_at_idx')
  @Column({ name: 'rotated_at', type: 'timestamptz', precision: 3 })
  rotatedAt: Date;

  /**
   * The pair this rotation produced, AES-256-GCM encrypted under a key derived from the used token
   * itself (which is not stored), so only its holder can read it; cleared once the window passes.
   */
  @Column({ name: 'grace_result', type: 'bytea', nullable: true })
  graceResult: Buffer | null;
}
