import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import request, { type Response } from 'supertest';
import {
  buildUser,
  createSignedInUser,
  registerUser,
  type SignedInUser,
  type TokenPair,
} from '../factories/user.factory.js';
import { createSignedInAdmin } from '../support/admin.js';
import { useTestApp } from '../support/test-app.js';

type Method = 'get' | 'post' | 'patch' | 'delete';

/** Tokens and personal data must never be stored by a browser or a shared cache. */
function expectNoStore(response: Response, what: string): void {
  expect({ what, cacheControl: response.headers['cache-control'] }).toEqual({
    what,
    cacheControl: 'no-store',
  });
}

describe('Cache-Control: no-store on /auth and /users', () => {
  const service = useTestApp();
  let admin: SignedInUser;
  const api = () => request(service.server);

  beforeAll(async () => {
    admin = await createSignedInAdmin(service);
  });

  /** Every operation the OpenAPI document lists under /api/v1/auth and /api/v1/users. */
  async function documentedRoutes(): Promise<Array<{ method: Method; path: string }>> {
    const document = await api().get('/docs/openapi.json').expect(200);
    const paths = (document.body as { paths: Record<string, Record<string, unknown>> }).paths;
    return Object.entries(paths)
      .filter(([path]) => /^\/api\/v1\/(auth|users)(\/|$)/.test(path))
      .flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => ({
          method: method as Method,
          path: path.replace(/\{[^}]+\}/g, randomUUID()),
        })),
      );
  }

  it('marks the refusals of every documented route: no token, bad token, malformed body', async () => {
    const routes = await documentedRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(14);
    for (const { method, path } of routes) {
      expectNoStore(await api()[method](path), `${method} ${path} without a token`);
      expectNoStore(
        await api()[method](path).set('Authorization', 'Bearer not-a-token'),
        `${method} ${path} with a bad token`,
      );
      if (method !== 'get' && method !== 'delete') {
        const send = api()[method](path);
        const malformed = await send.set('Content-Type', 'application/json').send('{"unterminated');
        expect(malformed.status).toBe(400);
        expectNoStore(malformed, `${method} ${path} with a malformed body`);
      }
    }
  });

  it('marks every successful /auth answer, token pairs first', async () => {
    const input = buildUser();
    const registered = await api().post('/api/v1/auth/register').send(input).expect(201);
    expectNoStore(registered, 'register');
    const login = await api()
      .post('/api/v1/auth/login')
      .send({ email: input.email, password: input.password })
      .expect(200);
    expectNoStore(login, 'login');
    const tokens = login.body as TokenPair;
    const refreshed = await api()
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: tokens.refreshToken })
      .expect(200);
    expectNoStore(refreshed, 'refresh');
    const bearer = `Bearer ${(refreshed.body as TokenPair).accessToken}`;

    const sessions = await api().get('/api/v1/auth/sessions').set('Authorization', bearer);
    expect(sessions.status).toBe(200);
    expectNoStore(sessions, 'sessions');

    const other = await api()
      .post('/api/v1/auth/login')
      .send({ email: input.email, password: input.password })
      .expect(200);
    const others = await api().get('/api/v1/auth/sessions').set('Authorization', bearer);
    const otherId = (others.body as Array<{ id: string; current: boolean }>).find(
      (session) => !session.current,
    )?.id;
    const revoked = await api()
      .delete(`/api/v1/auth/sessions/${otherId ?? 'missing'}`)
      .set('Authorization', bearer);
    expect(revoked.status).toBe(204);
    expectNoStore(revoked, 'revoke a session');
    expect((other.body as TokenPair).accessToken).toBeTruthy();

    const password = await api()
      .post('/api/v1/auth/password')
      .set('Authorization', bearer)
      .send({ currentPassword: input.password, newPassword: buildUser().password })
      .expect(204);
    expectNoStore(password, 'change password');

    expectNoStore(
      await api().post('/api/v1/auth/logout-all').set('Authorization', bearer).expect(204),
      'logout-all',
    );
    const user = await createSignedInUser(service.server);
    expectNoStore(
      await api().post('/api/v1/auth/logout').set('Authorization', user.bearer).expect(204),
      'logout',
    );
    expectNoStore(
      await api().post('/api/v1/auth/login').send({ email: input.email, password: 'wrong' }),
      'login refused',
    );
  });

  it('marks every /users answer, HITs, 304s and errors included', async () => {
    const user = await createSignedInUser(service.server);
    const me = () => api().get('/api/v1/users/me').set('Authorization', user.bearer);
    const first = await me().expect(200);
    expectNoStore(first, 'GET me');
    const hit = await me().expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expectNoStore(hit, 'GET me, cached');
    const notModified = await me().set('If-None-Match', first.headers.etag);
    expect(notModified.status).toBe(304);
    expect(notModified.headers.etag).toBe(first.headers.etag);
    expectNoStore(notModified, 'GET me, 304');

    const patched = await api()
      .patch('/api/v1/users/me')
      .set('Authorization', user.bearer)
      .send({ displayName: 'No store' })
      .expect(200);
    expectNoStore(patched, 'PATCH me');
    const stale = await api()
      .patch('/api/v1/users/me')
      .set('Authorization', user.bearer)
      .set('If-Match', first.headers.etag)
      .send({ displayName: 'Too late' });
    expect(stale.status).toBe(412);
    expectNoStore(stale, 'PATCH me, 412');

    const asAdmin = (path: string) => api().get(path).set('Authorization', admin.bearer);
    expectNoStore(await asAdmin('/api/v1/users').expect(200), 'GET users');
    expectNoStore(await asAdmin('/api/v1/users').expect(200), 'GET users, cached');
    expectNoStore(
      await api().get('/api/v1/users').set('Authorization', user.bearer).expect(403),
      'GET users as a user',
    );
    expectNoStore(await asAdmin('/api/v1/users?junk=1').expect(400), 'GET users, bad query');
    const viewed = await asAdmin(`/api/v1/users/${user.id}`).expect(200);
    expectNoStore(viewed, 'GET user');
    const viewed304 = await asAdmin(`/api/v1/users/${user.id}`).set(
      'If-None-Match',
      viewed.headers.etag,
    );
    expect(viewed304.status).toBe(304);
    expectNoStore(viewed304, 'GET user, 304');
    expectNoStore(await asAdmin(`/api/v1/users/${randomUUID()}`).expect(404), 'GET user, 404');
    expectNoStore(await asAdmin('/api/v1/users/not-a-uuid').expect(400), 'GET user, 400');
    expectNoStore(await asAdmin('/api/v1/users/a/b/c').expect(404), 'unknown route');
    expectNoStore(
      await api().get('/API/V1/USERS/ME').set('Authorization', user.bearer),
      'GET me, upper-case path',
    );

    const target = await registerUser(service.server);
    expectNoStore(
      await api()
        .patch(`/api/v1/users/${target.id}`)
        .set('Authorization', admin.bearer)
        .send({ displayName: 'By admin' })
        .expect(200),
      'PATCH user',
    );
    expectNoStore(
      await api()
        .delete(`/api/v1/users/${target.id}`)
        .set('Authorization', admin.bearer)
        .expect(204),
      'DELETE user',
    );
    expectNoStore(
      await api()
        .delete('/api/v1/users/me')
        .set('Authorization', user.bearer)
        .send({ password: user.password })
        .expect(204),
      'DELETE me',
    );
  });

  it('marks a refusal of the host check, which runs before any route', async () => {
    const strict = await service.environment.startApp({ ALLOWED_HOSTS: 'api.example.com' });
    const refused = await request(strict.server)
      .post('/api/v1/auth/login')
      .send({ email: 'a@example.com', password: 'x' });
    expect(refused.status).toBe(400);
    expectNoStore(refused, 'host refused');
  });

  it('lets the public signing keys be cached', async () => {
    const jwks = await api().get('/.well-known/jwks.json').expect(200);
    expect(jwks.headers['cache-control']).toBe('public, max-age=300');
  });
});
