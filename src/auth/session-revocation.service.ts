import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { AuthConfig } from '../config/app-config.js';
import { AUTH_CONFIG } from '../config/config-slices.js';
import type { RedisKeys } from '../redis/redis-keys.js';
import { RedisConnection } from '../redis/redis.connection.js';
import type { SessionRevocationReason } from './session.entity.js';
import { SessionsRepository } from './sessions.repository.js';

/** Which sessions to end. */
export type RevocationScope =
  /**
   * One session: with `ownerId`, only if it is that user's and still active; without, whatever its
   * state (a session already revoked in PostgreSQL is still reported, so Redis learns of it).
   */
  | { sessionId: string; ownerId?: string; reason: SessionRevocationReason }
  /** Every active session of the user but `exceptSessionId`. */
  | { userId: string; exceptSessionId?: string; reason: SessionRevocationReason };

// The Redis set is rebuilt from PostgreSQL at least this often, which bounds how long any
// disagreement between the two (a revocation written while Redis was away) can last.
const SYNC_MARKER_TTL_S = 60;
// Revoked ids stay in Redis this much longer than an access token lives (clock skew).
const REVOKED_KEY_MARGIN_S = 60;
// A failed repair or rebuild is retried at most this often: while Redis refuses writes (out of
// memory) every request would otherwise start one, each a PostgreSQL query.
const RETRY_INTERVAL_MS = 1_000;
// A rebuild slower than this (from its start to writing the marker) gives up its marker.
const REBUILD_LEASE_TTL_S = 30;
// Sets the marker only if the rebuild's lease survived: a repair deletes every lease, so a rebuild
// that read PostgreSQL before a lost revocation cannot mark the set complete after the repair.
const MARK_SYNCED_SCRIPT = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
`;

// Every revocation key shares one cluster hash slot: a check reads the marker with a session's
// key, and a rebuild writes every revoked id, the leases and the marker in one MULTI. The slot is
// no hotter for it: every check reads the marker anyway, and the set holds only the sessions
// ended within an access token's lifetime.
const REVOCATION_HASH_TAG = 'revoked';

/** `revoked:<name>`: the sync marker, the rebuild leases or a revoked session id. */
export function revocationKey(keys: RedisKeys, name: string): string {
  return keys.key(`revoked:${name}`, REVOCATION_HASH_TAG);
}

/**
 * How long after a session ends its access tokens may still be presented, so the revocation set
 * must be able to name it (and its row or tombstone must be kept).
 */
export const revocationWindowS = (accessTokenTtlS: number): number =>
  accessTokenTtlS + REVOKED_KEY_MARGIN_S;

/**
 * Ends sessions, and answers "is this session still signed in?" for every authenticated request.
 * PostgreSQL is the source of truth; Redis holds the recently revoked session ids so the answer
 * normally costs one Redis round trip. A sync marker says the Redis set is complete: after a flush, a new Redis, or a
 * failed write, the marker is absent and requests are checked against PostgreSQL until the set
 * has been rebuilt. A Redis outage therefore slows checks down but never lets a revoked session
 * back in.
 */
@Injectable()
export class SessionRevocationService implements OnModuleInit {
  private readonly logger = new Logger('SessionRevocation');
  private rebuilding: Promise<void> | undefined;
  // Revocations that did not reach Redis, and how many of them a repair has covered since.
  private lostWrites = 0;
  private repairedWrites = 0;
  private repairing: Promise<void> | undefined;
  private lastRepairAt = 0;
  private lastRebuildFailedAt = 0;

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly redis: RedisConnection,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  private get markerKey(): string {
    return revocationKey(this.redis.keys, 'synced');
  }

  /** The rebuilds in progress on any replica, each by a random lease id. */
  private get rebuildLeasesKey(): string {
    return revocationKey(this.redis.keys, 'rebuilds');
  }

  private revokedKey(sessionId: string): string {
    return revocationKey(this.redis.keys, sessionId);
  }

  private get revokedTtlS(): number {
    return revocationWindowS(this.config.accessTokenTtlS);
  }

  private get hasUnsyncedWrites(): boolean {
    return this.repairedWrites < this.lostWrites;
  }

  onModuleInit(): void {
    this.redis.onReady(() => {
      if (this.hasUnsyncedWrites) this.startRepair();
    });
    // Revocations the old master acknowledged may not have reached the new one: as after a lost
    // write, check PostgreSQL and rebuild the set from it.
    this.redis.onFailover(() => {
      this.lostWrites += 1;
      this.startRepair();
    });
  }

  async isSessionActive(sessionId: string): Promise<boolean> {
    const client = this.redis.client;
    if (this.hasUnsyncedWrites && Date.now() - this.lastRepairAt >= RETRY_INTERVAL_MS) {
      this.startRepair();
    }
    if (client && this.redis.isReady && !this.hasUnsyncedWrites) {
      try {
        const [marker, revoked] = await this.redis.withDeadline(
          client.mGet([this.markerKey, this.revokedKey(sessionId)]),
        );
        if (marker !== null) return revoked === null;
        this.startRebuild();
      } catch (error) {
        this.redis.logError(error);
      }
    }
    return this.sessions.isActive(sessionId);
  }

  /**
   * The one way to end sessions: revoked in PostgreSQL (the truth), then marked in Redis so every
   * replica refuses their access tokens at once. Returns the ids it ended.
   */
  async revoke(scope: RevocationScope): Promise<string[]> {
    const revoked = await this.revokeInDatabase(scope);
    await this.markRevoked(revoked);
    return revoked;
  }

  private async revokeInDatabase(scope: RevocationScope): Promise<string[]> {
    if ('sessionId' in scope) {
      const { sessionId, ownerId, reason } = scope;
      const isRevoked =
        ownerId === undefined
          ? await this.sessions.revoke(sessionId, reason)
          : await this.sessions.revokeOwned(sessionId, ownerId, reason, this.revokedTtlS);
      return isRevoked ? [sessionId] : [];
    }
    // A deleted user's sessions went with it (ON DELETE CASCADE); their tombstones name them.
    if (scope.reason === 'user_deleted') {
      return this.sessions.findDeletedForUser(scope.userId, this.revokedTtlS);
    }
    return this.sessions.revokeAllForUser(
      scope.userId,
      scope.reason,
      this.revokedTtlS,
      scope.exceptSessionId,
    );
  }

  private async markRevoked(sessionIds: string[]): Promise<void> {
    const client = this.redis.client;
    if (!client || sessionIds.length === 0) return;
    try {
      const batch = client.multi();
      for (const id of sessionIds) batch.set(this.revokedKey(id), '1', { EX: this.revokedTtlS });
      await this.redis.withDeadline(batch.exec());
    } catch (error) {
      this.lostWrites += 1;
      this.redis.logError(error);
      await this.repair();
    }
  }

  private startRepair(): void {
    this.repairing ??= this.repair().finally(() => {
      this.repairing = undefined;
    });
  }

  /**
   * After a revocation that did not reach Redis (out of memory, a timeout): deleting the marker
   * sends every replica to PostgreSQL at once (a DEL is allowed even when Redis refuses writes
   * for lack of memory), and deleting the rebuild leases keeps any rebuild that read PostgreSQL
   * before the revocation from marking the set complete; then a rebuild that reads PostgreSQL
   * after the revocation restores the set with it. Until that succeeds this replica keeps
   * checking PostgreSQL.
   */
  private async repair(): Promise<void> {
    const client = this.redis.client;
    if (!client) return;
    const covering = this.lostWrites;
    this.lastRepairAt = Date.now();
    try {
      await this.redis.withDeadline(client.del([this.markerKey, this.rebuildLeasesKey]));
      await this.rebuild();
      this.repairedWrites = Math.max(this.repairedWrites, covering);
    } catch (error) {
      this.redis.logError(error);
    }
  }

  private startRebuild(): void {
    if (Date.now() - this.lastRebuildFailedAt < RETRY_INTERVAL_MS) return;
    this.rebuilding ??= this.rebuild()
      .catch((error: unknown) => {
        this.lastRebuildFailedAt = Date.now();
        this.logger.warn({ err: (error as Error).message }, 'rebuild failed');
      })
      .finally(() => {
        this.rebuilding = undefined;
      });
  }

  /**
   * Copies the sessions ended within the revocation window from PostgreSQL into Redis and marks
   * the set complete, unless a repair ran meanwhile (see `repair`). The lease is taken before
   * PostgreSQL is read, so a repair after the read always voids it.
   */
  private async rebuild(): Promise<void> {
    const client = this.redis.client;
    if (!client) return;
    const lease = randomUUID();
    await this.redis.withDeadline(
      client
        .multi()
        .hSet(this.rebuildLeasesKey, lease, '1')
        .expire(this.rebuildLeasesKey, REBUILD_LEASE_TTL_S)
        .exec(),
    );
    const revoked = await this.sessions.findEndedWithin(this.revokedTtlS);
    const batch = client.multi();
    for (const { id, ageS } of revoked) {
      batch.set(this.revokedKey(id), '1', { EX: Math.max(1, Math.ceil(this.revokedTtlS - ageS)) });
    }
    batch.eval(MARK_SYNCED_SCRIPT, {
      keys: [this.rebuildLeasesKey, this.markerKey],
      arguments: [lease, String(Date.now()), String(SYNC_MARKER_TTL_S)],
    });
    const replies = await this.redis.withDeadline(batch.exec());
    if (Number(replies.at(-1)) !== 1) {
      this.logger.debug('Revocation set rebuild overtaken by a repair: not marked complete');
      return;
    }
    this.logger.debug(`Revocation set rebuilt from PostgreSQL (${revoked.length} sessions)`);
  }
}
