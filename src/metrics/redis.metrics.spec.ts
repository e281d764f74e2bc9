import { describe, expect, it } from '@jest/globals';
import { RedisConnection } from '../redis/redis.connection.js';
import { MetricsService } from './metrics.service.js';
import { RedisMetrics } from './redis.metrics.js';

const connection = (url: string | undefined) =>
  new RedisConnection({
    topology: url === undefined ? undefined : { kind: 'single', url },
    keyPrefix: 't:',
    commandTimeoutMs: 250,
  });

describe('RedisMetrics', () => {
  it('reports a client that is not connected as down, and counts the errors it met', async () => {
    const metrics = new MetricsService();
    // Never connected: the client exists but is not ready.
    const redis = connection('redis://127.0.0.1:1');
    new RedisMetrics(metrics, redis).onModuleInit();
    expect(await metrics.registry.metrics()).toMatch(/^redis_connection_up 0$/m);
    expect(await metrics.registry.metrics()).toMatch(/^redis_errors_total 0$/m);

    redis.logError(new Error('ECONNREFUSED'));
    redis.logError(new Error('ECONNREFUSED'));
    expect(await metrics.registry.metrics()).toMatch(/^redis_errors_total 2$/m);
  });

  it('exports no Redis series when Redis is not configured', async () => {
    const metrics = new MetricsService();
    new RedisMetrics(metrics, connection(undefined)).onModuleInit();
    expect(await metrics.registry.metrics()).not.toContain('redis_');
  });
});
