import { SetMetadata } from '@nestjs/common';

export const CACHE_RESPONSE_KEY = 'cacheResponse';

export interface CacheTagContext {
  params: Record<string, string>;
  /** The authenticated caller, when there is one. */
  userId: string | undefined;
}

export interface CacheResponseOptions {
  /** `user`: the caller's id is part of the key, so one user's response never reaches another. */
  scope: 'public' | 'user';
  /**
   * Tags whose invalidation must make this response miss (see ResponseCache.invalidate);
   * undefined skips the cache for this request (e.g. a malformed id, answered 400 anyway).
   */
  tags: (context: CacheTagContext) => string[] | undefined;
  /** Query defaults, so `?limit=20` and no `limit` share one entry. */
  queryDefaults?: Record<string, string | number>;
  /** Overrides CACHE_TTL for this route. */
  ttlS?: number;
}

/** Opts a GET route into the response cache. */
export const CacheResponse = (options: CacheResponseOptions) =>
  SetMetadata(CACHE_RESPONSE_KEY, options);
