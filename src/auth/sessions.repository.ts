import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { DIRECT_DATA_SOURCE } from '../database/direct-data-source.js';
import { rowMapper, type Row } from '../database/row-mapper.js';
import { User } from '../users/user.entity.js';
import { Session, type SessionRevocationReason } from './session.entity.js';
import { UsedRefreshToken } from './used-refresh-token.entity.js';

export interface NewSession {
  userId: string;
  refreshTokenHash: string;
  expiresAt: Date;
  userAgent: string | null;
  ip: string | null;
  /** The user's credentials version the sign-in read with the password hash. */
  credentialsVersion: number;
}

/** A session as its owner sees it in the session list. */
export type SessionSummary = Pick<
  Session,
  'id' | 'createdAt' | 'lastUsedAt' | 'expiresAt' | 'userAgent' | 'ip'
>;

/** A session locked for rotation, with what a new access token needs from its user. */
export type LockedSession = Pick<
  Session,
  'id' | 'userId' | 'createdAt' | 'expiresAt' | 'revokedAt'
> & {
  user: Pick<User, 'roles' | 'status'>;
  /** Signed in under the user's current credentials version (no change since). */
  hasCurrentCredentials: boolean;
};

export type UsedTokenRecord = Pick<UsedRefreshToken, 'rotatedAt' | 'graceResult'> & {
  session: LockedSession;
};

export interface Rotation {
  sessionId: string;
  usedTokenHash: string;
  newTokenHash: string;
  graceResult: Buffer;
  expiresAt: Date;
}

// Mappers from the entities' column metadata: they cannot drift from the entities.
const toSummary = rowMapper(Session, [
  'id',
  'createdAt',
  'lastUsedAt',
  'expiresAt',
  'userAgent',
  'ip',
]);
const toLockedSessionColumns = rowMapper(Session, [
  'id',
  'userId',
  'createdAt',
  'expiresAt',
  'revokedAt',
]);
const toSessionUser = rowMapper(User, ['roles', 'status']);
const toSessionOwner = rowMapper(Session, ['id', 'userId']);
const toUsedToken = rowMapper(UsedRefreshToken, ['rotatedAt', 'graceResult']);

const toLockedSession = (row: Row): LockedSession => ({
  ...toLockedSessionColumns(row),
  user: toSessionUser(row),
  hasCurrentCredentials: row.has_current_credentials === true,
});

// The users and used_refresh_tokens columns read here have names no sessions column has; both
// credentials versions are compared in SQL, read under the session's row lock.
const LOCKED_SESSION_COLUMNS = `s.id, s.user_id, s.created_at, s.expires_at, s.revoked_at, u.roles,
  u.status, s.credentials_version = u.credentials_version AS has_current_credentials`;

// Any constant works; one process at a time purges (the replicas' timers and the CronJob).
export const PURGE_LOCK_KEY = 7_302_194_223;

/** Persistence of a refresh inside one transaction; rows are locked until it commits. */
export class RefreshTransaction {
  constructor(private readonly manager: EntityManager) {}

  async lockByRefreshTokenHash(hash: string): Promise<LockedSession | null> {
    const rows: Row[] = await this.manager.query(
      `SELECT ${LOCKED_SESSION_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.refresh_token_hash = $1 FOR UPDATE OF s`,
      [hash],
    );
    return rows.length > 0 ? toLockedSession(rows[0]) : null;
  }

  async lockByUsedTokenHash(hash: string): Promise<UsedTokenRecord | null> {
    const rows: Row[] = await this.manager.query(
      `SELECT ${LOCKED_SESSION_COLUMNS}, t.rotated_at, t.grace_result
       FROM used_refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id
       WHERE t.token_hash = $1 FOR UPDATE OF s`,
      [hash],
    );
    if (rows.length === 0) return null;
    return { ...toUsedToken(rows[0]), session: toLockedSession(rows[0]) };
  }

  async rotate(rotation: Rotation): Promise<void> {
    // Only the latest rotation's result is kept for the grace window; older ones are erased.
    await this.manager.query(
      `UPDATE used_refresh_tokens SET grace_result = NULL WHERE session_id = $1 AND grace_result IS NOT NULL`,
      [rotation.sessionId],
    );
    await this.manager.query(
      `INSERT INTO used_refresh_tokens (token_hash, session_id, rotated_at, grace_result) VALUES ($1, $2, now(), $3)`,
      [rotation.usedTokenHash, rotation.sessionId, rotation.graceResult],
    );
    await this.manager.query(
      `UPDATE sessions SET refresh_token_hash = $2, rotation_counter = rotation_counter + 1,
         last_used_at = now(), expires_at = $3 WHERE id = $1`,
      [rotation.sessionId, rotation.newTokenHash, rotation.expiresAt],
    );
  }

  async revoke(sessionId: string, reason: SessionRevocationReason): Promise<void> {
    await this.manager.query(
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL`,
      [sessionId, reason],
    );
  }
}

@Injectable()
export class SessionsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(DIRECT_DATA_SOURCE) private readonly directDataSource: DataSource,
  ) {}

  /**
   * Inserts the session if its user is still active and at the credentials version the sign-in
   * read; returns its id, or null when a credentials change got there first. The user row is
   * locked FOR SHARE: a concurrent change either waits for this insert to commit (and then
   * revokes the session with the others) or commits first (and this finds no row).
   */
  async insert(session: NewSession): Promise<string | null> {
    const rows = rowsOf(
      await this.dataSource.query(
        `INSERT INTO sessions
           (user_id, refresh_token_hash, last_used_at, expires_at, user_agent, ip, credentials_version)
         SELECT u.id, $2, now(), $3, $4, $5, u.credentials_version FROM users u
         WHERE u.id = $1 AND u.credentials_version = $6 AND u.status = 'active'
         FOR SHARE OF u
         RETURNING id`,
        [
          session.userId,
          session.refreshTokenHash,
          session.expiresAt,
          session.userAgent,
          session.ip,
          session.credentialsVersion,
        ],
      ),
    );
    return rows.length > 0 ? (rows[0].id as string) : null;
  }

  /** The session that changed the password goes on under the new credentials version. */
  async adoptCredentialsVersion(
    sessionId: string,
    userId: string,
    change: { from: number; to: number },
  ): Promise<void> {
    // Only a session that was current before the change: a stale one never comes back.
    await this.dataSource.query(
      `UPDATE sessions SET credentials_version = $3
       WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND credentials_version = $4`,
      [sessionId, userId, change.to, change.from],
    );
  }

  inRefreshTransaction<T>(work: (transaction: RefreshTransaction) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => work(new RefreshTransaction(manager)));
  }

  async findActiveForUser(userId: string): Promise<SessionSummary[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT id, created_at, last_used_at, expires_at, user_agent, ip
       FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
       ORDER BY last_used_at DESC, id`,
      [userId],
    );
    return rows.map(toSummary);
  }

  /** The unrevoked session whose current refresh token has this hash (not a rotated-away one). */
  async findUnrevokedByRefreshTokenHash(
    hash: string,
  ): Promise<Pick<Session, 'id' | 'userId'> | null> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT id, user_id FROM sessions WHERE refresh_token_hash = $1 AND revoked_at IS NULL`,
      [hash],
    );
    return rows.length > 0 ? toSessionOwner(rows[0]) : null;
  }

  /** Revokes one active session of this user; false when there is no such session. */
  async revokeOwned(
    sessionId: string,
    userId: string,
    reason: SessionRevocationReason,
    windowS: number,
  ): Promise<boolean> {
    // An expired session's last access token may live on (its expiry is capped by
    // SESSION_MAX_AGE, the access token's is not): it can be revoked for the revocation window.
    const rows: Row[] = await this.dataSource.query(
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $3
       WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL
         AND expires_at > now() - make_interval(secs => $4) RETURNING id`,
      [sessionId, userId, reason, windowS],
    );
    return rowsOf(rows).length > 0;
  }

  /**
   * Makes sure the session is revoked (an earlier revocation and its reason are kept); false when
   * there is no such session.
   */
  async revoke(sessionId: string, reason: SessionRevocationReason): Promise<boolean> {
    const rows: Row[] = await this.dataSource.query(
      `UPDATE sessions SET revoked_at = COALESCE(revoked_at, now()),
         revoked_reason = COALESCE(revoked_reason, $2)
       WHERE id = $1 RETURNING id`,
      [sessionId, reason],
    );
    return rowsOf(rows).length > 0;
  }

  /** Revokes every active session of the user (but `exceptSessionId`); returns their ids. */
  async revokeAllForUser(
    userId: string,
    reason: SessionRevocationReason,
    windowS: number,
    exceptSessionId?: string,
  ): Promise<string[]> {
    // Sessions that expired longer than the revocation window ago have no live token left; leaving
    // them to the purge keeps the two from locking the same rows.
    const rows: Row[] = await this.dataSource.query(
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $2
       WHERE user_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR id <> $3::uuid)
         AND expires_at > now() - make_interval(secs => $4) RETURNING id`,
      [userId, reason, exceptSessionId ?? null, windowS],
    );
    return rowsOf(rows).map((row) => row.id as string);
  }

  /** The source of truth behind the revocation fast path. */
  async isActive(sessionId: string): Promise<boolean> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.status = 'active'`,
      [sessionId],
    );
    return rows.length > 0;
  }

  /**
   * Sessions revoked or deleted in the last `withinS` seconds, with how long ago. (Older
   * tombstones are the purge's to delete.)
   */
  async findEndedWithin(withinS: number): Promise<Array<{ id: string; ageS: number }>> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT id, EXTRACT(EPOCH FROM (now() - revoked_at))::float8 AS age_s FROM sessions
       WHERE revoked_at > now() - make_interval(secs => $1)
       UNION ALL
       SELECT session_id, EXTRACT(EPOCH FROM (now() - deleted_at))::float8 FROM session_tombstones
       WHERE deleted_at > now() - make_interval(secs => $1)`,
      [withinS],
    );
    return rows.map((row) => ({ id: row.id as string, ageS: Number(row.age_s) }));
  }

  /**
   * Runs `work` while holding the purge lock (a session-level advisory lock on a direct connection
   * of its own); null, without running it, when another process holds the lock. The lock spans
   * many short transactions, so a transaction-scoped lock would not do.
   */
  async withPurgeLock<T>(work: () => Promise<T>): Promise<T | null> {
    const lockRunner = this.directDataSource.createQueryRunner();
    await lockRunner.connect();
    try {
      const [{ locked }] = (await lockRunner.query('SELECT pg_try_advisory_lock($1) AS locked', [
        PURGE_LOCK_KEY,
      ])) as Array<{ locked: boolean }>;
      if (!locked) return null;
      try {
        return await work();
      } finally {
        await lockRunner.query('SELECT pg_advisory_unlock($1)', [PURGE_LOCK_KEY]);
      }
    } finally {
      await lockRunner.release();
    }
  }

  /**
   * Deletes up to `limit` sessions revoked or expired more than `endedS` seconds ago, or signed in
   * more than `signedInS` seconds ago and not refreshed for `endedS` (after SESSION_MAX_AGE is
   * lowered, a session past it may still hold a live access token); returns how many. Their used refresh tokens go with them
   * (cascade); the tombstones the delete trigger writes for them are dropped in the same
   * transaction, since no access token of theirs is alive to be refused.
   */
  deleteEndedSessions(endedS: number, signedInS: number, limit: number): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const deleted = rowsOf(
        await manager.query(
          `DELETE FROM sessions WHERE id IN (
             SELECT id FROM sessions
             WHERE revoked_at < now() - make_interval(secs => $1)
               OR expires_at < now() - make_interval(secs => $1)
               OR (created_at < now() - make_interval(secs => $2)
                   AND last_used_at < now() - make_interval(secs => $1))
             LIMIT $3)
           RETURNING id`,
          [endedS, signedInS, limit],
        ),
      ).map((row) => row.id as string);
      if (deleted.length > 0) {
        await manager.query('DELETE FROM session_tombstones WHERE session_id = ANY($1::uuid[])', [
          deleted,
        ]);
      }
      return deleted.length;
    });
  }

  /**
   * Deletes up to `limit` used refresh tokens rotated more than `olderThanS` seconds ago; returns
   * how many.
   */
  deleteUsedRefreshTokens(olderThanS: number, limit: number): Promise<number> {
    return this.deleteOlderThan(
      { table: 'used_refresh_tokens', key: 'token_hash', time: 'rotated_at' },
      olderThanS,
      limit,
    );
  }

  /** Deletes up to `limit` tombstones older than `olderThanS` seconds; returns how many. */
  deleteTombstones(olderThanS: number, limit: number): Promise<number> {
    return this.deleteOlderThan(
      { table: 'session_tombstones', key: 'session_id', time: 'deleted_at' },
      olderThanS,
      limit,
    );
  }

  /** One batch of rows whose `time` column is older than `olderThanS` (names are ours, not input). */
  private async deleteOlderThan(
    rows: { table: string; key: string; time: string },
    olderThanS: number,
    limit: number,
  ): Promise<number> {
    const { table, key, time } = rows;
    const deleted = rowsOf(
      await this.dataSource.query(
        `DELETE FROM ${table} WHERE ${key} IN (
           SELECT ${key} FROM ${table} WHERE ${time} < now() - make_interval(secs => $1) LIMIT $2)
         RETURNING 1`,
        [olderThanS, limit],
      ),
    );
    return deleted.length;
  }

  /** Sessions that were deleted with this user in the last `withinS` seconds. */
  async findDeletedForUser(userId: string, withinS: number): Promise<string[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT session_id FROM session_tombstones
       WHERE user_id = $1 AND deleted_at > now() - make_interval(secs => $2)`,
      [userId, withinS],
    );
    return rows.map((row) => row.session_id as string);
  }
}

/** `UPDATE|DELETE ... RETURNING` through TypeORM yields `[rows, count]`. */
function rowsOf(result: unknown): Row[] {
  if (Array.isArray(result) && Array.isArray(result[0])) return result[0] as Row[];
  return result as Row[];
}
