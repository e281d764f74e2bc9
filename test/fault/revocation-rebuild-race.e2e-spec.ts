import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type RedisClientType } from '@keyv/redis';
import request from 'supertest';
import { SessionsRepository } from '../../src/auth/sessions.repository.js';
import { createSignedInUser } from '../factories/user.factory.js';
import { expectUnauthorized } from '../support/problem.js';
import { ThrowawayRedis } from '../support/redis-server.js';
import { useTestApp, type RunningApp, type TestApp } from '../support/test-app.js';
import { waitUntil } from '../support/wait.js';

/**
 * Replica B rebuilds the revocation set from PostgreSQL; before it writes the result, replica A
 * signs a session out while Redis refuses writes. A's repair deletes the sync marker, and B's
 * rebuild, which read PostgreSQL before the revocation, must not mark the set complete again
 * without the revoked session.
 */
describe('a revocation lost while another replica rebuilds the revocation set', () => {
  const redis = new ThrowawayRedis(['--maxmemory-policy', 'noeviction']);
  const replicaA = useTestApp(async () => {
    await redis.start();
    return { REDIS_URL: redis.url };
  });
  let replicaB: TestApp;
  let client: RedisClientType;

  const me = (replica: RunningApp, bearer: string) =>
    request(replica.server).get('/api/v1/users/me').set('Authorization', bearer);

  beforeAll(async () => {
    replicaB = await replicaA.environment.startApp({ REDIS_URL: redis.url });
    client = createClient({ url: redis.url });
    await client.connect();
  });

  afterAll(async () => {
    await client.close().catch(() => undefined);
    await redis.kill();
  });

  it('keeps the signed-out session refused on the rebuilding replica', async () => {
    const user = await createSignedInUser(replicaA.server);
    const marker = `${replicaA.env.REDIS_KEY_PREFIX}revoked:synced`;
    await me(replicaB, user.bearer).expect(200);
    await waitUntil(
      'the revocation set to be synced',
      async () => (await client.exists(marker)) > 0,
    );

    // Hold B's next rebuild after it has read PostgreSQL (the real query, paused on its way back).
    const sessions = replicaB.app.get(SessionsRepository);
    const findEndedWithin = sessions.findEndedWithin.bind(sessions);
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let hasRead = (): void => undefined;
    const read = new Promise<void>((resolve) => {
      hasRead = resolve;
    });
    sessions.findEndedWithin = async (withinS) => {
      const rows = await findEndedWithin(withinS);
      hasRead();
      await held;
      return rows;
    };
    try {
      await client.del(marker);
      // No marker: B answers from PostgreSQL and starts a rebuild, which reads and is held.
      await me(replicaB, user.bearer).expect(200);
      await read;

      await client.configSet('maxmemory', '1');
      await expect(client.set('probe', '1')).rejects.toThrow(/OOM/);
      await request(replicaA.server)
        .post('/api/v1/auth/logout')
        .set('Authorization', user.bearer)
        .expect(204);
      await client.configSet('maxmemory', '0');
    } finally {
      release();
      sessions.findEndedWithin = findEndedWithin;
    }

    // B's held rebuild now writes what it read; every answer from then on must still refuse.
    for (let attempt = 0; attempt < 20; attempt += 1) {
      expectUnauthorized(await me(replicaB, user.bearer), 'AUTH_SESSION_REVOKED');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // A rebuild that read PostgreSQL after the revocation marks the set complete, with it.
    await waitUntil('the revocation set to be synced again', async () => {
      expectUnauthorized(await me(replicaB, user.bearer), 'AUTH_SESSION_REVOKED');
      return (await client.exists(marker)) > 0;
    });
    for (const replica of [replicaA, replicaB]) {
      expectUnauthorized(await me(replica, user.bearer), 'AUTH_SESSION_REVOKED');
    }
  });
});
