import { SetMetadata } from '@nestjs/common';

export const CACHE_RESPONSE_KEY = 'cacheResponse';

export interface CacheTagContext {
  /** Normalized: UUIDs lower-cased, as the handler sees them after `ParseUuidPipe`. */
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
  /** Overrides CACHE_TTL for this route. */
  ttlS?: number;
}

/**
 * Opts a GET route into the response cache. The key is the route, its normalized path parameters
 * and the query parameters its `@Query()` DTO declares (with the DTO's defaults), nothing else.
 */
export const CacheResponse = (options: CacheResponseOptions) =>
  SetMetadata(CACHE_RESPONSE_KEY, options);
