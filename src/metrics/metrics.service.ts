import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type CacheEvent = 'hit' | 'miss' | 'error' | 'invalidation';

/**
 * Prometheus metrics of this process. One registry per application instance (not prom-client's
 * global one), so several instances in one process (tests) do not collide.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly cacheEvents = new Counter({
    name: 'cache_events_total',
    help: 'Response cache hits, misses, errors and invalidations',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  readonly authEvents = new Counter({
    name: 'auth_events_total',
    help: 'Authentication events (login success/failure, refresh, reuse detected, logout...)',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  recordCache(event: CacheEvent): void {
    this.cacheEvents.inc({ event });
  }

  recordAuth(event: string): void {
    this.authEvents.inc({ event });
  }
}
