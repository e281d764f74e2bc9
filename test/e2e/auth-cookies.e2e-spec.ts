import type { Server } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { AuditService } from '../../src/audit/audit.service.js';
import {
  createSignedInUser,
  registerUser,
  type SignedInUser,
  type TokenPair,
} from '../factories/user.factory.js';
import { expectProblem, expectUnauthorized } from '../support/problem.js';
import { useTestApp, type TestAppHandle } from '../support/test-app.js';

const APP_ORIGIN = 'https://app.example.com';
const FOREIGN_ORIGIN = 'https://evil.example.com';
const REFRESH_TOKEN_TTL_S = 3600;
const ATTRIBUTES = 'HttpOnly; Secure; SameSite=Strict; Path=/api/v1/auth';
const CLEARED = `refresh_token=; Max-Age=0; ${ATTRIBUTES}`;

const COOKIE_MODE = {
  AUTH_COOKIES: 'true',
  CORS_ORIGINS: `${APP_ORIGIN},http://localhost:5173`,
  REFRESH_TOKEN_TTL: String(REFRESH_TOKEN_TTL_S),
  // A used token is a reuse at once (no grace-window replay), so rotation is observable.
  REFRESH_REUSE_GRACE_S: '0',
};

const setCookies = (response: request.Response): string[] => {
  const header = response.headers['set-cookie'] as string[] | string | undefined;
  return header === undefined ? [] : Array.isArray(header) ? header : [header];
};

const cookieOf = (token: string) => `refresh_token=${token}`;

function signIn(server: Server, user: SignedInUser) {
  return request(server)
    .post('/api/v1/auth/login')
    .set('Origin', APP_ORIGIN)
    .send({ email: user.email, password: user.password });
}

/** A refresh as a browser front end sends it: the cookie, its Origin, an empty JSON body. */
function cookieRefresh(server: Server, token: string, origin: string | null = APP_ORIGIN) {
  const call = request(server).post('/api/v1/auth/refresh').set('Cookie', cookieOf(token));
  if (origin !== null) void call.set('Origin', origin);
  return call.send({});
}

function cookieLogout(server: Server, token: string, origin: string | null = APP_ORIGIN) {
  const call = request(server).post('/api/v1/auth/logout').set('Cookie', cookieOf(token));
  if (origin !== null) void call.set('Origin', origin);
  return call;
}

async function eventTypes(service: TestAppHandle, userId: string): Promise<string[]> {
  // Sign-in, refresh and sign-out events are buffered; write this replica's buffer first.
  await service.app.get(AuditService).flush();
  const rows = await service.environment.database.query<{ type: string }>(
    'SELECT type FROM auth_events WHERE user_id = $1 ORDER BY id',
    [userId],
  );
  return rows.map((row) => row.type);
}

describe('browser cookie mode (AUTH_COOKIES=true)', () => {
  const service = useTestApp(COOKIE_MODE);
  const api = () => request(service.server);

  describe('issuing the cookie', () => {
    it('sets the refresh token as an HttpOnly, Secure, SameSite=Strict cookie on the auth path at sign-in', async () => {
      const user = await createSignedInUser(service.server);
      const response = await signIn(service.server, user).expect(200);
      const pair = response.body as TokenPair;
      expect(setCookies(response)).toEqual([
        `refresh_token=${pair.refreshToken}; Max-Age=${REFRESH_TOKEN_TTL_S}; ${ATTRIBUTES}`,
      ]);
      // The body still carries the pair: non-browser clients are unaffected.
      expect(pair.refreshExpiresIn).toBe(REFRESH_TOKEN_TTL_S);
    });

    it('sets no cookie when the sign-in fails', async () => {
      const user = await createSignedInUser(service.server);
      const response = await api()
        .post('/api/v1/auth/login')
        .set('Origin', APP_ORIGIN)
        .send({ email: user.email, password: `${user.password}-wrong` });
      expectUnauthorized(response, 'AUTH_INVALID_CREDENTIALS');
      expect(setCookies(response)).toEqual([]);
    });

    it('allows credentialed CORS requests from the listed origins only', async () => {
      const allowed = await api()
        .options('/api/v1/auth/refresh')
        .set('Origin', APP_ORIGIN)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type');
      expect(allowed.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
      expect(allowed.headers['access-control-allow-credentials']).toBe('true');
      const foreign = await api()
        .options('/api/v1/auth/refresh')
        .set('Origin', FOREIGN_ORIGIN)
        .set('Access-Control-Request-Method', 'POST');
      expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('POST /auth/refresh with the cookie', () => {
    it('rotates with the cookie alone: a new pair and a new cookie; the old cookie is then a reuse', async () => {
      const user = await createSignedInUser(service.server);
      const old = user.tokens.refreshToken;

      const rotated = await cookieRefresh(service.server, old).expect(200);
      const pair = rotated.body as TokenPair;
      expect(pair.refreshToken).not.toBe(old);
      expect(setCookies(rotated)).toEqual([
        `refresh_token=${pair.refreshToken}; Max-Age=${pair.refreshExpiresIn}; ${ATTRIBUTES}`,
      ]);
      expect(pair.refreshExpiresIn).toBeGreaterThan(REFRESH_TOKEN_TTL_S - 5);
      await api()
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${pair.accessToken}`)
        .expect(200);

      const reused = await cookieRefresh(service.server, old);
      expectUnauthorized(reused, 'AUTH_REFRESH_REUSED');
      expect(setCookies(reused)).toEqual([]);
      // Reuse ends the session: the cookie it had just been given stops working too.
      expectUnauthorized(
        await cookieRefresh(service.server, pair.refreshToken),
        'AUTH_REFRESH_INVALID',
      );
      expect(await eventTypes(service, user.id)).toEqual(
        expect.arrayContaining(['refresh', 'refresh_reuse_detected']),
      );
    });

    it('accepts an empty JSON body as well as {}', async () => {
      const user = await createSignedInUser(service.server);
      const response = await api()
        .post('/api/v1/auth/refresh')
        .set('Origin', APP_ORIGIN)
        .set('Cookie', cookieOf(user.tokens.refreshToken))
        .set('Content-Type', 'application/json')
        .send('');
      expect(response.status).toBe(200);
      expect(setCookies(response)).toHaveLength(1);
    });

    it('accepts a POST without any body (fetch with credentials and no body)', async () => {
      const user = await createSignedInUser(service.server);
      const response = await api()
        .post('/api/v1/auth/refresh')
        .set('Origin', APP_ORIGIN)
        .set('Cookie', cookieOf(user.tokens.refreshToken));
      expect(response.status).toBe(200);
      expect(setCookies(response)).toEqual([
        expect.stringMatching(/^refresh_token=[A-Za-z0-9_-]{43}; /),
      ]);
    });

    it('uses the token in the body when both are present', async () => {
      const inCookie = await createSignedInUser(service.server);
      const inBody = await createSignedInUser(service.server);

      const response = await api()
        .post('/api/v1/auth/refresh')
        .set('Origin', APP_ORIGIN)
        .set('Cookie', cookieOf(inCookie.tokens.refreshToken))
        .send({ refreshToken: inBody.tokens.refreshToken })
        .expect(200);

      const me = await api()
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${(response.body as TokenPair).accessToken}`)
        .expect(200);
      expect((me.body as { id: string }).id).toBe(inBody.id);
      // The cookie's token was not used: it still rotates once.
      await cookieRefresh(service.server, inCookie.tokens.refreshToken).expect(200);
    });

    it('answers 401 AUTH_REFRESH_MISSING with neither a body token nor the cookie', async () => {
      const response = await api().post('/api/v1/auth/refresh').set('Origin', APP_ORIGIN).send({});
      expectUnauthorized(response, 'AUTH_REFRESH_MISSING');
    });

    it('refuses a cookie that is no refresh token with 401 AUTH_REFRESH_INVALID', async () => {
      expectUnauthorized(
        await cookieRefresh(service.server, 'not-a-token'),
        'AUTH_REFRESH_INVALID',
      );
    });
  });

  describe('the Origin check (CSRF defence)', () => {
    it('refuses a cookie refresh from an origin not in CORS_ORIGINS with 403, leaving the token usable', async () => {
      const user = await createSignedInUser(service.server);
      const refused = await cookieRefresh(service.server, user.tokens.refreshToken, FOREIGN_ORIGIN);
      expectProblem(refused, 403, 'AUTH_ORIGIN_NOT_ALLOWED');
      expect(setCookies(refused)).toEqual([]);

      await cookieRefresh(service.server, user.tokens.refreshToken, APP_ORIGIN).expect(200);
    });

    it('refuses the cookie from a foreign origin even with a token in the body', async () => {
      const user = await createSignedInUser(service.server);
      const response = await api()
        .post('/api/v1/auth/refresh')
        .set('Origin', FOREIGN_ORIGIN)
        .set('Cookie', cookieOf(user.tokens.refreshToken))
        .send({ refreshToken: user.tokens.refreshToken });
      expectProblem(response, 403, 'AUTH_ORIGIN_NOT_ALLOWED');
    });

    it('accepts every listed origin, compared without regard to case', async () => {
      const user = await createSignedInUser(service.server);
      const first = await cookieRefresh(
        service.server,
        user.tokens.refreshToken,
        'http://localhost:5173',
      ).expect(200);
      await cookieRefresh(
        service.server,
        (first.body as TokenPair).refreshToken,
        APP_ORIGIN.toUpperCase(),
      ).expect(200);
    });

    it.each([
      ['no Origin header', {}],
      ['Origin: null', { Origin: 'null' }],
      ['only Sec-Fetch-Site: same-site', { 'Sec-Fetch-Site': 'same-site' }],
    ])('refuses a cookie request with %s', async (_case, headers) => {
      const user = await createSignedInUser(service.server);
      const response = await api()
        .post('/api/v1/auth/refresh')
        .set('Cookie', cookieOf(user.tokens.refreshToken))
        .set(headers)
        .send({});
      expectProblem(response, 403, 'AUTH_ORIGIN_NOT_ALLOWED');
    });

    it('accepts a cookie request without Origin that the browser marks Sec-Fetch-Site: same-origin', async () => {
      const user = await createSignedInUser(service.server);
      await api()
        .post('/api/v1/auth/refresh')
        .set('Cookie', cookieOf(user.tokens.refreshToken))
        .set('Sec-Fetch-Site', 'same-origin')
        .send({})
        .expect(200);
    });

    it('does not check the Origin of requests without the cookie', async () => {
      const user = await createSignedInUser(service.server);
      await api()
        .post('/api/v1/auth/refresh')
        .set('Origin', FOREIGN_ORIGIN)
        .send({ refreshToken: user.tokens.refreshToken })
        .expect(200);
    });
  });

  describe('POST /auth/logout with the cookie', () => {
    it('ends the session with the cookie alone and deletes the cookie', async () => {
      const user = await createSignedInUser(service.server);
      const response = await cookieLogout(service.server, user.tokens.refreshToken).expect(204);
      expect(setCookies(response)).toEqual([CLEARED]);

      expectUnauthorized(
        await api().get('/api/v1/users/me').set('Authorization', user.bearer),
        'AUTH_SESSION_REVOKED',
      );
      expectUnauthorized(
        await cookieRefresh(service.server, user.tokens.refreshToken),
        'AUTH_REFRESH_INVALID',
      );
      expect(await eventTypes(service, user.id)).toContain('logout');
    });

    it('still signs out with a bearer token, and deletes the cookie', async () => {
      const user = await createSignedInUser(service.server);
      const response = await api()
        .post('/api/v1/auth/logout')
        .set('Authorization', user.bearer)
        .expect(204);
      expect(setCookies(response)).toEqual([CLEARED]);
      expectUnauthorized(
        await api().post('/api/v1/auth/refresh').send({ refreshToken: user.tokens.refreshToken }),
        'AUTH_REFRESH_INVALID',
      );
    });

    it('falls back to the cookie when the bearer token no longer works', async () => {
      const user = await createSignedInUser(service.server);
      const second = await signIn(service.server, user).expect(200);
      await api().post('/api/v1/auth/logout').set('Authorization', user.bearer).expect(204);

      await cookieLogout(service.server, (second.body as TokenPair).refreshToken)
        .set('Authorization', user.bearer)
        .expect(204);
      expectUnauthorized(
        await api()
          .get('/api/v1/users/me')
          .set('Authorization', `Bearer ${(second.body as TokenPair).accessToken}`),
        'AUTH_SESSION_REVOKED',
      );
    });

    it('refuses an unknown or used refresh cookie with 401 AUTH_REFRESH_INVALID and keeps the cookie', async () => {
      const user = await createSignedInUser(service.server);
      const rotated = await cookieRefresh(service.server, user.tokens.refreshToken).expect(200);
      const response = await cookieLogout(service.server, user.tokens.refreshToken);
      expectUnauthorized(response, 'AUTH_REFRESH_INVALID');
      expect(setCookies(response)).toEqual([]);
      await cookieRefresh(service.server, (rotated.body as TokenPair).refreshToken).expect(200);
    });

    it('refuses a cookie logout from a foreign origin with 403, and the session lives on', async () => {
      const user = await createSignedInUser(service.server);
      const response = await cookieLogout(service.server, user.tokens.refreshToken, FOREIGN_ORIGIN);
      expectProblem(response, 403, 'AUTH_ORIGIN_NOT_ALLOWED');
      expect(setCookies(response)).toEqual([]);
      await api().get('/api/v1/users/me').set('Authorization', user.bearer).expect(200);
    });

    it('answers 401 AUTH_TOKEN_MISSING with neither a bearer token nor the cookie', async () => {
      expectUnauthorized(
        await api().post('/api/v1/auth/logout').set('Origin', APP_ORIGIN),
        'AUTH_TOKEN_MISSING',
      );
    });
  });
});

describe('cookie mode rate limits', () => {
  const service = useTestApp({ ...COOKIE_MODE, RATE_LIMIT_REFRESH_PER_MIN: '2' });

  it('counts cookie refreshes, refused origins included, against the per-address refresh limit', async () => {
    const user = await createSignedInUser(service.server);
    await cookieRefresh(service.server, user.tokens.refreshToken, FOREIGN_ORIGIN).expect(403);
    const rotated = await cookieRefresh(service.server, user.tokens.refreshToken).expect(200);
    const limited = await cookieRefresh(service.server, (rotated.body as TokenPair).refreshToken);
    expectProblem(limited, 429, 'RATE_LIMITED');
  });
});

describe('without cookie mode (the default)', () => {
  const service = useTestApp({ CORS_ORIGINS: APP_ORIGIN });
  const api = () => request(service.server);

  it('sets no cookie at sign-in or refresh', async () => {
    const user = await registerUser(service.server);
    const login = await api()
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    expect(setCookies(login)).toEqual([]);
    const refreshed = await api()
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: (login.body as TokenPair).refreshToken })
      .expect(200);
    expect(setCookies(refreshed)).toEqual([]);
  });

  it('ignores the cookie: a refresh without a body token is the usual 400 VALIDATION_FAILED', async () => {
    const user = await createSignedInUser(service.server);
    const response = await cookieRefresh(service.server, user.tokens.refreshToken);
    expectProblem(response, 400, 'VALIDATION_FAILED');
    expect((response.body as { errors: unknown }).errors).toEqual([
      { field: 'refreshToken', message: 'refreshToken is not a refresh token' },
      { field: 'refreshToken', message: 'refreshToken must be a string' },
    ]);
  });

  it('ignores the cookie at logout, and the Origin of cookie requests', async () => {
    const user = await createSignedInUser(service.server);
    expectUnauthorized(
      await cookieLogout(service.server, user.tokens.refreshToken),
      'AUTH_TOKEN_MISSING',
    );
    await api()
      .post('/api/v1/auth/refresh')
      .set('Origin', FOREIGN_ORIGIN)
      .set('Cookie', cookieOf(user.tokens.refreshToken))
      .send({ refreshToken: user.tokens.refreshToken })
      .expect(200);
  });

  it('does not allow credentialed CORS requests', async () => {
    const preflight = await api()
      .options('/api/v1/auth/refresh')
      .set('Origin', APP_ORIGIN)
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
  });
});
