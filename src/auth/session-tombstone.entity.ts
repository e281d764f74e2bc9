import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A session deleted with its user (ON DELETE CASCADE), recorded by a trigger so the Redis
 * revocation set can still be rebuilt with it after a flush. Kept for an access token's lifetime.
 */
@Entity('session_tombstones')
export class SessionTombstone {
  @PrimaryColumn({ name: 'session_id', type: 'uuid' })
  sessionId: string;

  @Index('session_tombstones_user_id_idx')
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Index('session_tombstones_deleted_at_idx')
  @Column({ name: 'deleted_at', type: 'timestamptz', precision: 3 })
  deletedAt: Date;
}
