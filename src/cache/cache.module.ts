import { CacheModule } from '@nestjs/cache-manager';
import { Module } from '@nestjs/common';
import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import type { CacheConfig } from '../config/app-config.js';
import { CACHE_CONFIG } from '../config/config-slices.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RedisConnection } from '../redis/redis.connection.js';
import { RedisModule } from '../redis/redis.module.js';
import { HttpCacheInterceptor } from './http-cache.interceptor.js';
import { ResponseCache } from './response-cache.service.js';

/** The Redis connection belongs to `RedisConnection`; the cache store must not close it. */
class SharedConnectionKeyvRedis extends KeyvRedis<unknown> {
  override async disconnect(): Promise<void> {}
}

/**
 * The store behind `CACHE_MANAGER`: Keyv on the shared Redis connection when Redis is configured,
 * an in-process Keyv map otherwise. Keys carry the full prefix themselves.
 */
export function createCacheStore(redis: RedisConnection): Keyv {
  if (!redis.topologyClient) return new Keyv();
  // throwOnErrors: failures must reach ResponseCache (counted, and a lost invalidation remembered).
  // On a cluster the store reads and writes several keys per slot (MGET / MULTI on each slot's
  // master, in parallel), so its keys need no hash tags.
  const store = new SharedConnectionKeyvRedis(redis.topologyClient, {
    throwOnConnectError: false,
    throwOnErrors: true,
  });
  const keyv = new Keyv({ store, useKeyPrefix: false, throwOnErrors: true });
  // Keyv defaults to a `keyv` namespace; REDIS_KEY_PREFIX is the only prefix wanted.
  keyv.namespace = undefined;
  keyv.on('error', (error: unknown) => redis.logError(error));
  return keyv;
}

@Module({
  imports: [
    RedisModule,
    MetricsModule,
    CacheModule.registerAsync({
      imports: [RedisModule],
      inject: [CACHE_CONFIG, RedisConnection],
      useFactory: (config: CacheConfig, redis: RedisConnection) => ({
        stores: [createCacheStore(redis)],
        ttl: config.ttlS * 1000,
      }),
    }),
  ],
  providers: [ResponseCache, HttpCacheInterceptor],
  exports: [ResponseCache, HttpCacheInterceptor],
})
export class ResponseCacheModule {}
