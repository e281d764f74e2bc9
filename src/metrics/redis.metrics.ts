import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { RedisConnection } from '../redis/redis.connection.js';
import { MetricsService } from './metrics.service.js';

/** Redis connection state and errors, read at scrape time; none without Redis. */
@Injectable()
export class RedisMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly redis: RedisConnection,
  ) {}

  onModuleInit(): void {
    const redis = this.redis;
    if (!redis.client) return;
    new Gauge({
      name: 'redis_connection_up',
      help: 'Whether the Redis connection is ready (1) or down and reconnecting (0)',
      registers: [this.metrics.registry],
      collect() {
        this.set(redis.isReady ? 1 : 0);
      },
    });
    new Counter({
      name: 'redis_errors_total',
      help: 'Redis connection and command errors (timeouts included) met by this process',
      registers: [this.metrics.registry],
      collect() {
        this.reset();
        this.inc(redis.errorCount);
      },
    });
  }
}
