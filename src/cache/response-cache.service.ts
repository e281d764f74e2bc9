import { randomUUID } from 'node:crypto';
import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import type { Keyv } from 'keyv';
import type { CacheConfig } from '../config/app-config.js';
import { CACHE_CONFIG } from '../config/config-slices.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisConnection } from '../redis/redis.connection.js';

/** A response as it is stored: the serialized body (sent as is on a hit) and its headers. */
export interface CachedResponse {
  body: string;
  headers: Record<string, string>;
}

interface StoredEntry extends CachedResponse {
  /** Versions of the entry's tags when it was loaded; any change since makes it a miss. */
  versions: string[];
}

export interface CacheLookup {
  hit?: CachedResponse;
  /** Versions to store a freshly loaded response under; undefined when the cache is unavailable. */
  versions?: string[];
}

// Every entry depends on the epoch too: bumping it after a lost invalidation drops everything.
const EPOCH_TAG = 'epoch';
// A missing version counts as a change, so version keys can expire safely; a day keeps them few.
const VERSION_TTL_MS = 24 * 3600 * 1000;

/**
 * Versioned (tag-based) response cache on the shared store. A read fetches the entry and its tag
 * versions in one round trip; a write changes the versions, so every replica misses afterwards
 * without any key scan. Every failure degrades to "not cached", counted and logged; a write that
 * could not change its versions deletes the epoch, so every replica misses at once.
 */
@Injectable()
export class ResponseCache implements OnModuleInit {
  private readonly keyv: Keyv;
  // Invalidations that failed, and how many of them a deleted epoch has covered since.
  private lostInvalidations = 0;
  private coveredInvalidations = 0;
  private droppingEpoch: Promise<void> | undefined;

  constructor(
    @Inject(CACHE_MANAGER) cacheManager: Cache,
    @Inject(CACHE_CONFIG) private readonly config: CacheConfig,
    private readonly redis: RedisConnection,
    private readonly metrics: MetricsService,
  ) {
    // The Keyv store itself: cache-manager's mget swallows errors, and they must be counted.
    this.keyv = cacheManager.stores[0];
  }

  get isEnabled(): boolean {
    return this.config.ttlS > 0;
  }

  private get isEpochDropPending(): boolean {
    return this.coveredInvalidations < this.lostInvalidations;
  }

  onModuleInit(): void {
    this.redis.onReady(() => {
      if (this.isEpochDropPending) this.retryEpochDrop();
    });
    // Version bumps the old master acknowledged may not have reached the new one: as after a lost
    // invalidation, serve nothing until the epoch is gone.
    this.redis.onFailover(() => {
      this.lostInvalidations += 1;
      this.retryEpochDrop();
    });
  }

  async lookup(entryKey: string, tags: string[]): Promise<CacheLookup> {
    if (this.isEpochDropPending) {
      // This replica lost an invalidation and could not yet tell the others: it must not serve
      // or store anything until the epoch is gone.
      this.retryEpochDrop();
      return {};
    }
    const versionKeys = this.versionKeys(tags);
    let values: unknown[];
    // One MGET on a single node. On a cluster the store reads per slot, in parallel: one hash tag
    // for an entry and its versions would put the whole cache (every entry reads the epoch) on
    // one node. Reading at different instants is safe: a hit needs every version to equal the
    // entry's, and a write acknowledged earlier changed its tag's version before any read.
    try {
      values = await this.redis.withDeadline(
        this.keyv.getMany([this.entryKey(entryKey), ...versionKeys]),
      );
    } catch (error) {
      this.failed(error);
      return {};
    }
    const [entry, ...versions] = values as [StoredEntry | undefined, ...(string | undefined)[]];
    if (versions.every((version): version is string => typeof version === 'string')) {
      if (entry && sameVersions(entry.versions, versions)) {
        this.metrics.recordCache('hit');
        return { hit: { body: entry.body, headers: entry.headers } };
      }
      this.metrics.recordCache('miss');
      return { versions };
    }
    // First read of a tag (or its version expired, or the epoch was dropped): give it a version
    // before loading. Refused while Redis is out of memory, so nothing is cached then.
    const initialized = versions.map((version) => version ?? randomUUID());
    try {
      await this.redis.withDeadline(
        this.keyv.setMany(
          versionKeys
            .map((key, index) => ({ key, value: initialized[index], ttl: VERSION_TTL_MS }))
            .filter((_, index) => versions[index] === undefined),
        ),
      );
    } catch (error) {
      this.failed(error);
      return {};
    }
    this.metrics.recordCache('miss');
    return { versions: initialized };
  }

  /**
   * Whether `tags` still have the `versions` a load started with (false when unknown): a load
   * that a write overtook must not be handed to the requests that joined it.
   */
  async hasVersions(tags: string[], versions: string[]): Promise<boolean> {
    if (this.isEpochDropPending) return false;
    try {
      const current = await this.redis.withDeadline(this.keyv.getMany(this.versionKeys(tags)));
      return sameVersions(versions, current);
    } catch (error) {
      this.failed(error);
      return false;
    }
  }

  async store(
    entryKey: string,
    versions: string[],
    response: CachedResponse,
    ttlS?: number,
  ): Promise<void> {
    const entry: StoredEntry = { ...response, versions };
    try {
      await this.redis.withDeadline(
        this.keyv.set(this.entryKey(entryKey), entry, (ttlS ?? this.config.ttlS) * 1000),
      );
    } catch (error) {
      this.failed(error);
    }
  }

  /** Makes every entry tagged with any of `tags` miss from now on, on every replica. */
  async invalidate(tags: string[]): Promise<void> {
    if (!this.isEnabled || tags.length === 0) return;
    try {
      await this.redis.withDeadline(
        this.keyv.setMany(
          tags.map((tag) => ({
            key: this.versionKey(tag),
            value: randomUUID(),
            ttl: VERSION_TTL_MS,
          })),
        ),
      );
      this.metrics.cacheEvents.inc({ event: 'invalidation' }, tags.length);
    } catch (error) {
      this.failed(error);
      this.lostInvalidations += 1;
      await this.dropEpoch();
    }
  }

  private retryEpochDrop(): void {
    this.droppingEpoch ??= this.dropEpoch().finally(() => {
      this.droppingEpoch = undefined;
    });
  }

  /**
   * Deletes the epoch every entry depends on: every replica misses from its next read, and a new
   * epoch is set by the first read that can write. A DEL is allowed even when Redis refuses
   * writes for lack of memory (noeviction), which is when a version write is most likely lost.
   */
  private async dropEpoch(): Promise<void> {
    const covering = this.lostInvalidations;
    try {
      await this.redis.withDeadline(this.keyv.delete(this.versionKey(EPOCH_TAG)));
      this.coveredInvalidations = Math.max(this.coveredInvalidations, covering);
    } catch (error) {
      this.failed(error);
    }
  }

  private entryKey(key: string): string {
    return this.redis.key(`cache:${key}`);
  }

  private versionKeys(tags: string[]): string[] {
    return [EPOCH_TAG, ...tags].map((tag) => this.versionKey(tag));
  }

  private versionKey(tag: string): string {
    return this.redis.key(`cache-version:${tag}`);
  }

  private failed(error: unknown): void {
    this.metrics.recordCache('error');
    this.redis.logError(error);
  }
}

function sameVersions(stored: unknown[] | undefined, current: unknown[]): boolean {
  return (
    stored?.length === current.length &&
    stored.every((version, index) => version === current[index])
  );
}
