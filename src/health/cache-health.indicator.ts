import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RedisConnection } from '../redis/redis.connection.js';

const PING_TIMEOUT_MS = 500;

/**
 * Redis is shared by every replica: failing readiness on it would take the whole service out,
 * while requests can still be served from PostgreSQL. An outage is reported as `degraded`, which
 * keeps readiness at 200.
 */
@Injectable()
export class CacheHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisConnection,
  ) {}

  async check(key: 'cache') {
    const session = this.indicators.check(key);
    if (!this.redis.client) return session.up({ store: 'memory' });
    if (!this.redis.isReady) {
      return session.degraded({ store: 'redis', message: 'Redis is not connected' });
    }
    try {
      await this.redis.ping(PING_TIMEOUT_MS);
      return session.up({ store: 'redis' });
    } catch (error) {
      return session.degraded({ store: 'redis', message: (error as Error).message });
    }
  }
}
