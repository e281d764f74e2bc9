import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createSignedInUser, registerUser, type SignedInUser } from '../factories/user.factory.js';
import { createSignedInAdmin } from '../support/admin.js';
import { expectProblem } from '../support/problem.js';
import { useTestApp, type RunningApp, type TestApp } from '../support/test-app.js';

describe('response cache', () => {
  const replicaA = useTestApp();
  let replicaB: TestApp;
  let admin: SignedInUser;

  beforeAll(async () => {
    replicaB = await replicaA.environment.startApp();
    admin = await createSignedInAdmin(replicaA);
  });

  /** Cache entries and version keys in the file's key space. */
  const cacheKeyCount = async () => {
    const { redis } = replicaA.environment;
    return (await redis.keys()).filter((key) => key.startsWith(`${redis.prefix}cache`)).length;
  };

  const getMe = (service: RunningApp, user: SignedInUser) =>
    request(service.server).get('/api/v1/users/me').set('Authorization', user.bearer);

  it('answers a repeat with a HIT whose body and ETag are exactly those of the MISS', async () => {
    const user = await createSignedInUser(replicaA.server);
    const first = await getMe(replicaA, user).expect(200);
    const second = await getMe(replicaA, user).expect(200);
    expect(first.headers['x-cache']).toBe('MISS');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.text).toBe(first.text);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
    expect(second.headers['cache-control']).toBe('no-store');
  });

  it('never serves one user the /me of another, however the requests interleave', async () => {
    const alice = await createSignedInUser(replicaA.server);
    const bob = await createSignedInUser(replicaA.server);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) => {
        const user = index % 2 === 0 ? alice : bob;
        return getMe(index % 3 === 0 ? replicaB : replicaA, user).then((response) => ({
          user,
          response,
        }));
      }),
    );
    for (const { user, response } of responses) {
      expect(response.status).toBe(200);
      expect(response.body.email).toBe(user.email);
      expect(response.body.id).toBe(user.id);
    }
    expect(responses.some(({ response }) => response.headers['x-cache'] === 'HIT')).toBe(true);
  });

  it('serves the new value right after a write, on the same replica and on another', async () => {
    const user = await createSignedInUser(replicaA.server);
    await getMe(replicaA, user).expect(200);
    await getMe(replicaB, user).expect(200);
    expect((await getMe(replicaB, user)).headers['x-cache']).toBe('HIT');

    await request(replicaB.server)
      .patch('/api/v1/users/me')
      .set('Authorization', user.bearer)
      .send({ displayName: 'Renamed on B' })
      .expect(200);

    const onA = await getMe(replicaA, user).expect(200);
    expect(onA.headers['x-cache']).toBe('MISS');
    expect(onA.body.displayName).toBe('Renamed on B');
    const onB = await getMe(replicaB, user).expect(200);
    expect(onB.body.displayName).toBe('Renamed on B');
  });

  it('refreshes the admin list and the admin view after a user changes', async () => {
    const user = await createSignedInUser(replicaA.server);
    const list = () =>
      request(replicaA.server)
        .get(`/api/v1/users?email=${encodeURIComponent(user.email)}`)
        .set('Authorization', admin.bearer);
    const view = () =>
      request(replicaB.server).get(`/api/v1/users/${user.id}`).set('Authorization', admin.bearer);
    await list().expect(200);
    expect((await list()).headers['x-cache']).toBe('HIT');
    await view().expect(200);
    expect((await view()).headers['x-cache']).toBe('HIT');

    await request(replicaB.server)
      .patch('/api/v1/users/me')
      .set('Authorization', user.bearer)
      .send({ displayName: 'Listed anew' })
      .expect(200);

    const listed = await list().expect(200);
    expect(listed.headers['x-cache']).toBe('MISS');
    expect(listed.body.data[0].displayName).toBe('Listed anew');
    const viewed = await view().expect(200);
    expect(viewed.body.displayName).toBe('Listed anew');
  });

  it('lists a newly registered user at once', async () => {
    const before = await request(replicaA.server)
      .get('/api/v1/users?limit=100')
      .set('Authorization', admin.bearer);
    const user = await createSignedInUser(replicaB.server);
    const after = await request(replicaA.server)
      .get('/api/v1/users?limit=100')
      .set('Authorization', admin.bearer);
    expect(after.headers['x-cache']).toBe('MISS');
    expect(after.body.data.map((u: { id: string }) => u.id)).toContain(user.id);
    expect(after.body.data.length).toBe(before.body.data.length + 1);
  });

  it('shares one entry between equivalent queries (defaults applied, parameters sorted)', async () => {
    const first = await request(replicaA.server)
      .get('/api/v1/users?status=active&role=admin')
      .set('Authorization', admin.bearer)
      .expect(200);
    const same = await request(replicaB.server)
      .get('/api/v1/users?role=admin&limit=20&status=active')
      .set('Authorization', admin.bearer)
      .expect(200);
    expect(first.headers['x-cache']).toBe('MISS');
    expect(same.headers['x-cache']).toBe('HIT');
    expect(same.text).toBe(first.text);
  });

  it('adds no key for query parameters a route does not declare', async () => {
    const user = await createSignedInUser(replicaA.server);
    await getMe(replicaA, user).expect(200);
    const before = await cacheKeyCount();

    const outcomes: unknown[] = [];
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const response = await request(replicaA.server)
        .get(`/api/v1/users/me?junk=${randomBytes(8).toString('hex')}`)
        .set('Authorization', user.bearer)
        .expect(200);
      outcomes.push(response.headers['x-cache']);
    }

    expect(await cacheKeyCount()).toBe(before);
    expect(outcomes).toEqual(Array(50).fill('HIT'));
  });

  it('refuses an undeclared parameter of a route with a query DTO, cached or not', async () => {
    await request(replicaA.server).get('/api/v1/users').set('Authorization', admin.bearer);
    const before = await cacheKeyCount();

    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await request(replicaA.server)
        .get(`/api/v1/users?junk=${randomBytes(8).toString('hex')}`)
        .set('Authorization', admin.bearer);
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.headers['x-cache']).toBeUndefined();
    }

    expect(await cacheKeyCount()).toBe(before);
  });

  it('answers 404 for a deleted user read by an upper-case id before the delete', async () => {
    const user = await registerUser(replicaA.server);
    const upperCase = () =>
      request(replicaA.server)
        .get(`/api/v1/users/${user.id.toUpperCase()}`)
        .set('Authorization', admin.bearer);
    await upperCase().expect(200);
    const hit = await upperCase().expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.body.id).toBe(user.id);

    await request(replicaB.server)
      .delete(`/api/v1/users/${user.id}`)
      .set('Authorization', admin.bearer)
      .expect(204);

    expectProblem(await upperCase(), 404, 'USERS_NOT_FOUND');
  });

  it('does not cache error responses', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await request(replicaA.server)
        .get(`/api/v1/users/${unknown}`)
        .set('Authorization', admin.bearer);
      expect(response.status).toBe(404);
      expect(response.headers['x-cache']).toBeUndefined();
    }
  });

  it('answers a matching If-None-Match on a cached response with 304', async () => {
    const user = await createSignedInUser(replicaA.server);
    const first = await getMe(replicaA, user).expect(200);
    const revalidated = await getMe(replicaA, user).set('If-None-Match', first.headers.etag);
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers['x-cache']).toBe('HIT');
  });

  it('keeps cache entries and version keys under the configured key prefix', async () => {
    const { redis } = replicaA.environment;
    const keys = await redis.keys();
    expect(keys.some((key) => key.startsWith(`${redis.prefix}cache:`))).toBe(true);
    expect(keys.some((key) => key.startsWith(`${redis.prefix}cache-version:`))).toBe(true);
  });

  it('counts hits, misses and invalidations in the metrics', async () => {
    const metrics = await request(replicaA.server).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/cache_events_total\{event="hit"\} [1-9]/);
    expect(metrics.text).toMatch(/cache_events_total\{event="miss"\} [1-9]/);
    expect(metrics.text).toMatch(/cache_events_total\{event="invalidation"\} [1-9]/);
  });
});

describe('response cache disabled (CACHE_TTL=0)', () => {
  const service = useTestApp({ CACHE_TTL: '0' });

  it('serves every read from the database, without X-Cache', async () => {
    const user = await createSignedInUser(service.server);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await request(service.server)
        .get('/api/v1/users/me')
        .set('Authorization', user.bearer);
      expect(response.status).toBe(200);
      expect(response.headers['x-cache']).toBeUndefined();
      expect(response.headers.etag).toMatch(/^"1-/);
    }
  });
});
