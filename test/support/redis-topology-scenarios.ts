import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import {
  createSignedInUser,
  login,
  registerUser,
  type SignedInUser,
} from '../factories/user.factory.js';
import { revocationKey } from '../../src/auth/session-revocation.service.js';
import { decodeJwt } from './jwt.js';
import { expectProblem, expectUnauthorized } from './problem.js';
import type { ThrowawayRedisTopology } from './redis-topologies.js';
import { useTestApp, type TestApp } from './test-app.js';
import { waitUntil } from './wait.js';

const me = (server: Server, bearer: string) =>
  request(server).get('/api/v1/users/me').set('Authorization', bearer);

const rename = (server: Server, bearer: string, displayName: string) =>
  request(server).patch('/api/v1/users/me').set('Authorization', bearer).send({ displayName });

const logout = (server: Server, bearer: string) =>
  request(server).post('/api/v1/auth/logout').set('Authorization', bearer);

const attemptLogin = (server: Server, email: string, password: string) =>
  request(server).post('/api/v1/auth/login').send({ email, password });

const LOGIN_FAILURES = 3;

/**
 * The cache, revocation and rate-limit behaviours that must hold on `topology` (two replicas of
 * the service on it), then through the failover of a master.
 */
export function describeOnRedisTopology(title: string, topology: ThrowawayRedisTopology): void {
  describe(title, () => {
    // Registered first: the applications below read the topology's environment.
    beforeAll(() => topology.start(), 30_000);

    const replicaA = useTestApp(() => ({
      ...topology.env,
      RATE_LIMIT_LOGIN_FAILURES: String(LOGIN_FAILURES),
    }));
    let replicaB: TestApp;
    const a = () => replicaA.server;
    const b = () => replicaB.server;

    beforeAll(async () => {
      replicaB = await replicaA.environment.startApp(replicaA.env);
    });
    // After the applications' (hooks run in order): they close before Redis goes away.
    afterAll(() => topology.stop());

    const cacheStateOf = async (server: Server) =>
      ((await request(server).get('/health/ready')).body as { cache?: string }).cache;

    it('reports Redis up on both replicas', async () => {
      expect(await cacheStateOf(a())).toBe('up');
      expect(await cacheStateOf(b())).toBe('up');
    });

    it('shares cache entries between replicas and serves a write at once on both', async () => {
      const user = await createSignedInUser(a());
      expect((await me(a(), user.bearer).expect(200)).headers['x-cache']).toBe('MISS');
      // A HIT on B for an entry A stored: the entry lives in Redis, not in A's process.
      expect((await me(b(), user.bearer).expect(200)).headers['x-cache']).toBe('HIT');

      await rename(b(), user.bearer, 'Renamed on B').expect(200);

      const onA = await me(a(), user.bearer).expect(200);
      expect(onA.headers['x-cache']).toBe('MISS');
      expect(onA.body.displayName).toBe('Renamed on B');
    });

    it('rejects on B, at once, a session logged out on A', async () => {
      const user = await createSignedInUser(a());
      await me(b(), user.bearer).expect(200);
      await logout(a(), user.bearer).expect(204);
      expectUnauthorized(await me(b(), user.bearer), 'AUTH_SESSION_REVOKED');
      expectUnauthorized(await me(a(), user.bearer), 'AUTH_SESSION_REVOKED');
      // Answered from the Redis set (complete, marked synced), not by falling back to PostgreSQL.
      const keys = topology.keys(replicaA.env.REDIS_KEY_PREFIX ?? '');
      const sessionId = String(decodeJwt(user.tokens.accessToken).payload.sid);
      expect(await topology.exists(revocationKey(keys, sessionId))).toBe(true);
      expect(await topology.exists(revocationKey(keys, 'synced'))).toBe(true);
    });

    it('locks an account whose wrong passwords were spread over both replicas', async () => {
      const user = await registerUser(a());
      for (let attempt = 0; attempt < LOGIN_FAILURES; attempt += 1) {
        const server = attempt % 2 === 0 ? a() : b();
        expectProblem(
          await attemptLogin(server, user.email, `wrong-${attempt}`),
          401,
          'AUTH_INVALID_CREDENTIALS',
        );
      }
      expectProblem(await attemptLogin(b(), user.email, user.password), 429, 'AUTH_ACCOUNT_LOCKED');
    });

    it('serves nothing stale and accepts no revoked session during and after a failover', async () => {
      const revokedBefore = await createSignedInUser(a());
      await me(b(), revokedBefore.bearer).expect(200);
      await logout(a(), revokedBefore.bearer).expect(204);
      const active = await createSignedInUser(a());
      const cached = await createSignedInUser(a());
      await me(b(), cached.bearer).expect(200);
      const guessedAt = await registerUser(a());
      // Cached before the failover and not written since: a HIT on the old master.
      const untouched = await createSignedInUser(a());
      await me(a(), untouched.bearer).expect(200);
      expect((await me(b(), untouched.bearer).expect(200)).headers['x-cache']).toBe('HIT');

      const revoked: SignedInUser[] = [revokedBefore];
      const violations: string[] = [];
      const statuses = new Map<number, number>();
      const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);

      // On a cluster, the master every authenticated request reads: the revocation slot's.
      const keys = topology.keys(replicaA.env.REDIS_KEY_PREFIX ?? '');
      const failingOver = topology.failOver(revocationKey(keys, 'synced'));
      let isDone = false;
      void failingOver.finally(() => {
        isDone = true;
      });

      // Wrong passwords while the master is away: counted in Redis or, while it is not
      // answering, in this replica; either way a lock comes within twice the threshold.
      const guesses: number[] = [];
      for (let attempt = 0; attempt <= 2 * LOGIN_FAILURES; attempt += 1) {
        guesses.push((await attemptLogin(a(), guessedAt.email, `wrong-${attempt}`)).status);
      }

      for (let round = 0; !isDone || round < 3; round += 1) {
        const [servedBy, checkedBy] = round % 2 === 0 ? [a(), b()] : [b(), a()];

        const ending = await createSignedInUser(servedBy);
        await logout(servedBy, ending.bearer).expect(204);
        revoked.push(ending);
        for (const user of revoked) {
          const status = (await me(checkedBy, user.bearer)).status;
          count(status);
          if (status !== 401) violations.push(`round ${round}: revoked session got ${status}`);
        }

        const name = `Round ${round}`;
        await rename(servedBy, cached.bearer, name).expect(200);
        const read = await me(checkedBy, cached.bearer);
        count(read.status);
        if (read.body.displayName !== name) {
          violations.push(`round ${round}: read ${String(read.body.displayName)} after ${name}`);
        }
        const activeRead = (await me(checkedBy, active.bearer)).status;
        count(activeRead);
        if (activeRead !== 200) violations.push(`round ${round}: active session got ${activeRead}`);
      }
      await failingOver;

      expect(violations).toEqual([]);
      expect(guesses.filter((status) => status === 429).length).toBeGreaterThan(0);
      expect(guesses.filter((status) => status >= 500)).toEqual([]);
      expect([...statuses.keys()].filter((status) => status >= 500)).toEqual([]);

      // Both replicas find the promoted master on their own and use Redis again.
      await waitUntil(
        'both replicas to report Redis up again',
        async () => (await cacheStateOf(a())) === 'up' && (await cacheStateOf(b())) === 'up',
        15_000,
      );
      // Writes the old master acknowledged may not have been replicated: after the failover the
      // replicas dropped the cache epoch (and rebuilt the revocation set), so this is a MISS.
      expect((await me(b(), untouched.bearer).expect(200)).headers['x-cache']).toBe('MISS');
      for (const user of revoked) {
        expectUnauthorized(await me(a(), user.bearer), 'AUTH_SESSION_REVOKED');
        expectUnauthorized(await me(b(), user.bearer), 'AUTH_SESSION_REVOKED');
      }
      await rename(a(), cached.bearer, 'After the failover').expect(200);
      const fresh = await me(b(), cached.bearer).expect(200);
      expect(fresh.body.displayName).toBe('After the failover');
      await waitUntil('a cache HIT from Redis again', async () => {
        const response = await me(a(), cached.bearer);
        return (
          response.headers['x-cache'] === 'HIT' &&
          response.body.displayName === 'After the failover'
        );
      });

      const lockedAfter = await registerUser(a());
      for (let attempt = 0; attempt < LOGIN_FAILURES; attempt += 1) {
        await attemptLogin(attempt % 2 === 0 ? b() : a(), lockedAfter.email, 'wrong').expect(401);
      }
      expectProblem(
        await attemptLogin(a(), lockedAfter.email, lockedAfter.password),
        429,
        'AUTH_ACCOUNT_LOCKED',
      );
      await login(a(), active.email, active.password);
    }, 60_000);
  });
}
