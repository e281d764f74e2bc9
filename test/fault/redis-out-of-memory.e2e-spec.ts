import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type RedisClientType } from '@keyv/redis';
import request from 'supertest';
import { createSignedInUser, type SignedInUser } from '../factories/user.factory.js';
import { expectUnauthorized } from '../support/problem.js';
import { ThrowawayRedis } from '../support/redis-server.js';
import { useTestApp, type RunningApp, type TestApp } from '../support/test-app.js';
import { waitUntil } from '../support/wait.js';

/**
 * Redis that refuses every write for lack of memory while it still answers reads and deletes: a
 * revocation or an invalidation is lost, yet no reconnect ever happens to trigger a repair.
 */
describe('Redis out of memory (maxmemory, noeviction)', () => {
  const redis = new ThrowawayRedis(['--maxmemory', '8mb', '--maxmemory-policy', 'noeviction']);
  const replicaA = useTestApp(async () => {
    await redis.start();
    return { REDIS_URL: redis.url };
  });
  let replicaB: TestApp;
  let client: RedisClientType;
  let leaving: SignedInUser;
  let renamed: SignedInUser;

  const me = (replica: RunningApp, user: SignedInUser) =>
    request(replica.server).get('/api/v1/users/me').set('Authorization', user.bearer);

  /**
   * Writes filler values until Redis answers OOM, large ones first, then ever smaller ones: a large
   * value is refused while a small write still fits.
   */
  async function fill(): Promise<void> {
    let written = 0;
    for (const size of [64 * 1024, 1024, 16]) {
      const filler = 'x'.repeat(size);
      for (;;) {
        try {
          await client.set(`filler:${written}`, filler);
        } catch (error) {
          if (String(error).includes('OOM')) break;
          throw error;
        }
        written += 1;
        if (written > 200_000) throw new Error('Redis never ran out of memory');
      }
    }
  }

  beforeAll(async () => {
    replicaB = await replicaA.environment.startApp({ REDIS_URL: redis.url });
    client = createClient({ url: redis.url });
    await client.connect();

    leaving = await createSignedInUser(replicaA.server);
    renamed = await createSignedInUser(replicaA.server);
    for (const replica of [replicaA, replicaB]) {
      await me(replica, leaving).expect(200);
      await me(replica, renamed).expect(200);
    }
    const marker = `${replicaA.env.REDIS_KEY_PREFIX}revoked:synced`;
    await waitUntil(
      'the revocation set to be synced',
      async () => (await client.exists(marker)) > 0,
    );
    await waitUntil(
      'a cached /me on replica B',
      async () => (await me(replicaB, renamed)).headers['x-cache'] === 'HIT',
    );

    await fill();
    // Freed bytes (an expired key, a shrunk buffer) would let a small write through now and then;
    // a limit far below what is used refuses every write, as a Redis that is truly full does.
    await client.configSet('maxmemory', '1mb');
    await expect(client.set('probe', '1')).rejects.toThrow(/OOM/);
  });

  afterAll(async () => {
    await client.close().catch(() => undefined);
    await redis.kill();
  });

  it('refuses on every replica at once a session signed out while its revocation cannot be written', async () => {
    await request(replicaA.server)
      .post('/api/v1/auth/logout')
      .set('Authorization', leaving.bearer)
      .expect(204);

    expectUnauthorized(await me(replicaB, leaving), 'AUTH_SESSION_REVOKED');
    expectUnauthorized(await me(replicaA, leaving), 'AUTH_SESSION_REVOKED');
  });

  it('never serves from another replica a user changed while the invalidation cannot be written', async () => {
    await request(replicaA.server)
      .patch('/api/v1/users/me')
      .set('Authorization', renamed.bearer)
      .send({ displayName: 'Renamed while Redis was full' })
      .expect(200);

    const onB = await me(replicaB, renamed).expect(200);
    expect(onB.body.displayName).toBe('Renamed while Redis was full');
    expect(onB.headers['x-cache']).toBe('MISS');
    const onA = await me(replicaA, renamed).expect(200);
    expect(onA.body.displayName).toBe('Renamed while Redis was full');
  });

  it('keeps both answers right once Redis has memory again', async () => {
    await client.configSet('maxmemory', '0');
    await client.flushDb();
    await waitUntil(
      'a cached /me on replica B',
      async () => (await me(replicaB, renamed)).headers['x-cache'] === 'HIT',
    );
    expect((await me(replicaB, renamed)).body.displayName).toBe('Renamed while Redis was full');
    // Replicas rebuild the set when a request finds it incomplete.
    await waitUntil('the revocation set to be rebuilt', async () => {
      await me(replicaA, renamed).expect(200);
      await me(replicaB, renamed).expect(200);
      return (await client.exists(`${replicaA.env.REDIS_KEY_PREFIX}revoked:synced`)) > 0;
    });
    for (const replica of [replicaA, replicaB]) {
      expectUnauthorized(await me(replica, leaving), 'AUTH_SESSION_REVOKED');
    }
  });
});
