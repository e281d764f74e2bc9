import type { Server } from 'node:http';
import { beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import {
  buildUser,
  login,
  registerUser,
  type RegisteredUser,
  type TokenPair,
} from '../factories/user.factory.js';
import { createSignedInAdmin } from '../support/admin.js';
import { expectUnauthorized } from '../support/problem.js';
import { useTestApp, type TestApp } from '../support/test-app.js';
import { waitUntil } from '../support/wait.js';

function me(server: Server, accessToken: string) {
  return request(server).get('/api/v1/users/me').set('Authorization', `Bearer ${accessToken}`);
}

function refresh(server: Server, refreshToken: string) {
  return request(server).post('/api/v1/auth/refresh').send({ refreshToken });
}

function post(server: Server, path: string, accessToken: string, body?: object) {
  return request(server)
    .post(`/api/v1/auth/${path}`)
    .set('Authorization', `Bearer ${accessToken}`)
    .send(body);
}

/** Two replicas of one deployment: same database, same Redis key space, same DATA_DIR. */
describe('replicas', () => {
  const replicaA = useTestApp({ REFRESH_REUSE_GRACE_S: '0' });
  let replicaB: TestApp;
  const environment = () => replicaA.environment;

  beforeAll(async () => {
    replicaB = await environment().startApp({ REFRESH_REUSE_GRACE_S: '0' });
    probeUser = await registerUser(replicaA.server);
  });

  /** Signs in after a flush, so the replicas notice the empty Redis and rebuild. */
  let probeUser: RegisteredUser;

  const a = () => replicaA.server;
  const b = () => replicaB.server;

  async function newUser(): Promise<RegisteredUser> {
    return registerUser(a());
  }

  /** Signs in on `server` and uses the token on both replicas, so each has verified it once. */
  async function warmSession(server: Server, user: RegisteredUser): Promise<TokenPair> {
    const tokens = await login(server, user.email, user.password);
    await me(a(), tokens.accessToken).expect(200);
    await me(b(), tokens.accessToken).expect(200);
    return tokens;
  }

  it('publishes the same signing key on both replicas', async () => {
    const fromA = await request(a()).get('/.well-known/jwks.json').expect(200);
    const fromB = await request(b()).get('/.well-known/jwks.json').expect(200);
    expect(fromB.body).toEqual(fromA.body);
  });

  it('accepts on B an access token issued by A', async () => {
    const user = await newUser();
    const tokens = await login(a(), user.email, user.password);
    const response = await me(b(), tokens.accessToken);
    expect(response.status).toBe(200);
    expect(response.body.id).toBe(user.id);
  });

  it('rejects on B, at once, a session logged out on A', async () => {
    const user = await newUser();
    const tokens = await warmSession(a(), user);

    await post(a(), 'logout', tokens.accessToken).expect(204);

    expectUnauthorized(await me(b(), tokens.accessToken), 'AUTH_SESSION_REVOKED');
    expect((await refresh(b(), tokens.refreshToken)).status).toBe(401);
  });

  it('ends on A every session when B handles logout-all', async () => {
    const user = await newUser();
    const first = await warmSession(a(), user);
    const second = await warmSession(a(), user);

    await post(b(), 'logout-all', second.accessToken).expect(204);

    expectUnauthorized(await me(a(), first.accessToken), 'AUTH_SESSION_REVOKED');
    expectUnauthorized(await me(a(), second.accessToken), 'AUTH_SESSION_REVOKED');
  });

  it('ends on A the other sessions when the password is changed on B', async () => {
    const user = await newUser();
    const changing = await warmSession(b(), user);
    const other = await warmSession(a(), user);

    await post(b(), 'password', changing.accessToken, {
      currentPassword: user.password,
      newPassword: buildUser().password,
    }).expect(204);

    expectUnauthorized(await me(a(), other.accessToken), 'AUTH_SESSION_REVOKED');
    expect((await refresh(a(), other.refreshToken)).status).toBe(401);
    await me(a(), changing.accessToken).expect(200);
  });

  it('revokes the session when a refresh token rotated on A is reused on B', async () => {
    const user = await newUser();
    const original = await warmSession(a(), user);
    const rotated = await refresh(a(), original.refreshToken);
    expect(rotated.status).toBe(200);
    const latest = rotated.body as TokenPair;
    await me(b(), latest.accessToken).expect(200);

    expectUnauthorized(await refresh(b(), original.refreshToken), 'AUTH_REFRESH_REUSED');

    expectUnauthorized(await me(a(), latest.accessToken), 'AUTH_SESSION_REVOKED');
    expectUnauthorized(await me(b(), latest.accessToken), 'AUTH_SESSION_REVOKED');
    expect((await refresh(a(), latest.refreshToken)).status).toBe(401);
  });

  it('keeps a logged-out session rejected after the Redis key space is flushed', async () => {
    const user = await newUser();
    const leaving = await warmSession(a(), user);
    const staying = await warmSession(b(), user);
    await post(a(), 'logout', leaving.accessToken).expect(204);
    expect((await environment().redis.keys()).length).toBeGreaterThan(0);

    await environment().redis.flush();
    expect(await environment().redis.keys()).toEqual([]);

    expectUnauthorized(await me(a(), leaving.accessToken), 'AUTH_SESSION_REVOKED');
    expectUnauthorized(await me(b(), leaving.accessToken), 'AUTH_SESSION_REVOKED');
    await me(a(), staying.accessToken).expect(200);
    await me(b(), staying.accessToken).expect(200);
    expect((await refresh(b(), leaving.refreshToken)).status).toBe(401);
  });

  /** After a flush, the replicas rebuild the revocation set from PostgreSQL in the background. */
  async function flushAndRebuild(): Promise<void> {
    await environment().redis.flush();
    const probe = await login(a(), probeUser.email, probeUser.password);
    await me(a(), probe.accessToken).expect(200);
    await me(b(), probe.accessToken).expect(200);
    await waitUntil(
      'the revocation set to be rebuilt',
      async () => (await environment().redis.keys()).some((key) => key.endsWith('revoked:synced')),
      2_000,
    );
  }

  it('keeps the revocation after the flush once the replicas have rebuilt their Redis state', async () => {
    const user = await newUser();
    const leaving = await warmSession(a(), user);
    await post(b(), 'logout', leaving.accessToken).expect(204);

    await flushAndRebuild();

    expectUnauthorized(await me(a(), leaving.accessToken), 'AUTH_SESSION_REVOKED');
    expectUnauthorized(await me(b(), leaving.accessToken), 'AUTH_SESSION_REVOKED');
    const restarted = await environment().startApp({ REFRESH_REUSE_GRACE_S: '0' });
    expectUnauthorized(await me(restarted.server, leaving.accessToken), 'AUTH_SESSION_REVOKED');
  });

  it("keeps a deleted admin's access token rejected after a flush and rebuild", async () => {
    const remainingAdmin = await createSignedInAdmin(replicaA);
    const deletedAdmin = await createSignedInAdmin(replicaA);
    const token = deletedAdmin.tokens.accessToken;
    const before = await request(b()).get('/api/v1/users').set('Authorization', `Bearer ${token}`);
    expect({ status: before.status, body: before.body }).toEqual({
      status: 200,
      body: expect.anything(),
    });

    await request(a())
      .delete(`/api/v1/users/${deletedAdmin.id}`)
      .set('Authorization', remainingAdmin.bearer)
      .expect(204);
    expectUnauthorized(await me(b(), token), 'AUTH_SESSION_REVOKED');

    await flushAndRebuild();

    for (const replica of [a(), b()]) {
      const list = await request(replica)
        .get('/api/v1/users')
        .set('Authorization', `Bearer ${token}`);
      expectUnauthorized(list, 'AUTH_SESSION_REVOKED');
      expectUnauthorized(await me(replica, token), 'AUTH_SESSION_REVOKED');
    }
  });

  describe('with the default grace window', () => {
    let graceA: TestApp;
    let graceB: TestApp;

    beforeAll(async () => {
      graceA = await environment().startApp();
      graceB = await environment().startApp();
    });

    it('answers a repeat of a refresh on the other replica with the same pair', async () => {
      const user = await newUser();
      const tokens = await login(graceA.server, user.email, user.password);

      const first = await refresh(graceA.server, tokens.refreshToken);
      const repeat = await refresh(graceB.server, tokens.refreshToken);
      expect(first.status).toBe(200);
      expect(repeat.status).toBe(200);
      expect(repeat.body).toEqual(first.body);
      await me(graceB.server, (first.body as TokenPair).accessToken).expect(200);
    });

    it('gives concurrent refreshes split over both replicas one pair', async () => {
      const user = await newUser();
      const tokens = await login(graceA.server, user.email, user.password);

      const responses = await Promise.all(
        [graceA, graceB, graceA, graceB].map((replica) =>
          refresh(replica.server, tokens.refreshToken),
        ),
      );
      expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200]);
      for (const response of responses) expect(response.body).toEqual(responses[0].body);
      await refresh(graceB.server, (responses[0].body as TokenPair).refreshToken).expect(200);
    });
  });
});
