import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createSignedInUser, login, type SignedInUser } from '../factories/user.factory.js';
import { TEST_REDIS_URL } from '../support/environment.js';
import { ThrowawayRedis } from '../support/redis-server.js';
import { closedPort, TcpProxy } from '../support/tcp-proxy.js';
import { useTestApp } from '../support/test-app.js';
import { waitUntil } from '../support/wait.js';

// A request during an outage must still answer quickly: Redis commands time out (250 ms by
// default) and a disconnected client fails at once.
const BOUNDED_MS = 1_500;

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; elapsedMs: number }> {
  const started = Date.now();
  const result = await work();
  return { result, elapsedMs: Date.now() - started };
}

describe('Redis crashes and comes back (throwaway redis-server)', () => {
  const redis = new ThrowawayRedis();
  const service = useTestApp(async () => {
    await redis.start();
    return { REDIS_URL: redis.url };
  });
  let user: SignedInUser;

  beforeAll(async () => {
    user = await createSignedInUser(service.server);
  });

  afterAll(async () => {
    await redis.kill();
  });

  const me = (bearer = user.bearer) =>
    request(service.server).get('/api/v1/users/me').set('Authorization', bearer);
  const readiness = () => request(service.server).get('/health/ready');
  const scrape = async () => (await request(service.server).get('/metrics').expect(200)).text;

  it('serves, writes, signs in and signs out without a 5xx while Redis is dead', async () => {
    await me().expect(200);
    expect((await me()).headers['x-cache']).toBe('HIT');

    await redis.kill();

    for (let attempt = 0; attempt < 10; attempt += 1) {
      const { result, elapsedMs } = await timed(() => me());
      expect(result.status).toBe(200);
      expect(result.body.id).toBe(user.id);
      expect(elapsedMs).toBeLessThan(BOUNDED_MS);
    }
    const renamed = await request(service.server)
      .patch('/api/v1/users/me')
      .set('Authorization', user.bearer)
      .send({ displayName: 'Renamed during the outage' });
    expect(renamed.status).toBe(200);

    const other = await createSignedInUser(service.server);
    await request(service.server)
      .post('/api/v1/auth/logout')
      .set('Authorization', other.bearer)
      .expect(204);
    expect((await me(other.bearer)).status).toBe(401);
    const again = await login(service.server, other.email, other.password);
    expect(again.accessToken).toBeTruthy();
  });

  it('reports the cache down while staying ready', async () => {
    const response = await readiness();
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'degraded', database: 'up', cache: 'down' });
    const metrics = await scrape();
    expect(metrics).toMatch(/^health_ready 1$/m);
    expect(metrics).toContain('health_dependency_up{dependency="cache"} 0\n');
    expect(metrics).toMatch(/^redis_connection_up 0$/m);
    expect(metrics).toMatch(/^redis_errors_total [1-9]/m);
  });

  it('recovers without a restart: cache up again, fresh data, hits again', async () => {
    await redis.start();
    await waitUntil(
      'readiness to report the cache up',
      async () => (await readiness()).body.cache === 'up',
    );

    const first = await me().expect(200);
    expect(first.body.displayName).toBe('Renamed during the outage');
    await waitUntil('a cache hit', async () => (await me()).headers['x-cache'] === 'HIT');
    expect(await scrape()).toMatch(/^redis_connection_up 1$/m);
  });
});

describe('Redis unreachable while its data survives (network cut)', () => {
  const target = new URL(TEST_REDIS_URL);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
  const service = useTestApp(async () => ({
    REDIS_URL: `redis://127.0.0.1:${await proxy.start()}`,
  }));

  afterAll(async () => {
    await proxy.cut();
  });

  const ready = async () =>
    (await request(service.server).get('/health/ready')).body.cache === 'up';

  it('never serves a response cached before a write that happened during the cut', async () => {
    const user = await createSignedInUser(service.server);
    const me = () =>
      request(service.server).get('/api/v1/users/me').set('Authorization', user.bearer);
    await me().expect(200);
    expect((await me()).headers['x-cache']).toBe('HIT');

    await proxy.cut();
    await request(service.server)
      .patch('/api/v1/users/me')
      .set('Authorization', user.bearer)
      .send({ displayName: 'Written while Redis was cut off' })
      .expect(200);
    await proxy.restore();
    await waitUntil('Redis to be reachable again', ready);

    const after = await me().expect(200);
    expect(after.body.displayName).toBe('Written while Redis was cut off');
  });

  it('keeps a session signed out during the cut signed out after it', async () => {
    const user = await createSignedInUser(service.server);
    const me = () =>
      request(service.server).get('/api/v1/users/me').set('Authorization', user.bearer);
    await me().expect(200);

    await proxy.cut();
    await request(service.server)
      .post('/api/v1/auth/logout')
      .set('Authorization', user.bearer)
      .expect(204);
    await proxy.restore();
    await waitUntil('Redis to be reachable again', ready);

    for (let attempt = 0; attempt < 3; attempt += 1) expect((await me()).status).toBe(401);
  });
});

describe('Redis unreachable from the start', () => {
  const service = useTestApp(async () => ({
    REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
  }));

  it('boots, is ready with the cache reported down, and serves requests', async () => {
    const readiness = await request(service.server).get('/health/ready');
    expect(readiness.status).toBe(200);
    expect(readiness.body).toMatchObject({ database: 'up', cache: 'down' });

    const user = await createSignedInUser(service.server);
    const me = await request(service.server)
      .get('/api/v1/users/me')
      .set('Authorization', user.bearer);
    expect(me.status).toBe(200);
    expect(me.headers['x-cache']).toBe('MISS');
  });
});
