import { afterAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { TEST_REDIS_URL } from '../support/environment.js';
import { PROBLEM_JSON } from '../support/problem.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { useTestApp } from '../support/test-app.js';
import { waitUntil } from '../support/wait.js';

// In the URL so that a leak of it shows; the test server does not ask for one.
const DATABASE_PASSWORD = 'readiness-probe-secret';

describe('readiness while PostgreSQL and Redis are unreachable', () => {
  let database: TcpProxy;
  let redis: TcpProxy;

  // jest runs afterAll hooks in declaration order: the proxies are restored before the application
  // closes (below, in useTestApp) and cut for good after.
  afterAll(async () => {
    await Promise.all([database.restore(), redis.restore()]).catch(() => {});
  });

  const service = useTestApp(async (environment) => {
    const databaseUrl = new URL(environment.database.url);
    database = new TcpProxy(databaseUrl.hostname, Number(databaseUrl.port || 5432));
    databaseUrl.port = String(await database.start());
    databaseUrl.password = DATABASE_PASSWORD;
    const redisUrl = new URL(TEST_REDIS_URL);
    redis = new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
    redisUrl.port = String(await redis.start());
    return {
      DATABASE_URL: databaseUrl.toString(),
      REDIS_URL: redisUrl.toString(),
      DB_CONNECT_TIMEOUT_MS: '1000',
    };
  });

  afterAll(async () => {
    await Promise.all([database.cut(), redis.cut()]);
  });

  const readiness = () => request(service.server).get('/health/ready');

  it('answers 503 with each dependency’s name and state, and no host, port, driver error or credential', async () => {
    const ready = await readiness();
    expect(ready.body).toMatchObject({
      status: 'ok',
      details: { database: { status: 'up' }, cache: { status: 'up' } },
    });

    await Promise.all([database.cut(), redis.cut()]);
    await waitUntil('readiness to see both down', async () => {
      const body = (await readiness()).body as { database?: string; cache?: string };
      return body.database === 'down' && body.cache === 'down';
    });
    const response = await readiness();

    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body).toMatchObject({
      code: 'SERVICE_NOT_READY',
      database: 'down',
      cache: 'down',
      details: { database: { status: 'down' }, cache: { status: 'degraded' } },
    });
    expect(response.body.details).toEqual({
      database: { status: 'down' },
      cache: { status: 'degraded' },
    });
    // The request id is random hex and could contain any digits: leave it out of the search.
    const text = JSON.stringify({ ...response.body, requestId: undefined });
    for (const leak of [
      '127.0.0.1',
      'localhost',
      'ECONNREFUSED',
      'password',
      DATABASE_PASSWORD,
      String(database.port),
      String(redis.port),
      '5432',
      '6379',
    ]) {
      expect(text).not.toContain(leak);
    }
  });

  it('exports the failed readiness and the database down in the metrics', async () => {
    await readiness().expect(503);
    const metrics = (await request(service.server).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^health_ready 0$/m);
    expect(metrics).toContain('health_dependency_up{dependency="database"} 0\n');
  });
});
