import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import request, { type Response } from 'supertest';
import {
  buildUser,
  createSignedInUser,
  registerUser,
  type RegisteredUser,
  type SignedInUser,
} from '../factories/user.factory.js';
import { expectProblem } from '../support/problem.js';
import { useTestApp, type Environment, type TestApp } from '../support/test-app.js';

const LIMITS: Environment = {
  RATE_LIMIT_LOGIN_PER_MIN: '5',
  RATE_LIMIT_REGISTER_PER_MIN: '3',
  RATE_LIMIT_REFRESH_PER_MIN: '4',
  RATE_LIMIT_LOGIN_FAILURES: '3',
};

function login(server: Server, email: string, password: string) {
  return request(server).post('/api/v1/auth/login').send({ email, password });
}

/** A sign-in from `clientIp`, as a proxy trusted through TRUST_PROXY would forward it. */
function loginFrom(server: Server, clientIp: string, email: string, password: string) {
  return login(server, email, password).set('X-Forwarded-For', clientIp);
}

function changePasswordFrom(server: Server, clientIp: string, user: SignedInUser, current: string) {
  return request(server)
    .post('/api/v1/auth/password')
    .set('Authorization', user.bearer)
    .set('X-Forwarded-For', clientIp)
    .send({ currentPassword: current, newPassword: buildUser().password });
}

function expectRateLimitHeaders(response: Response, limit: number, remaining: number): void {
  expect({
    limit: response.headers['ratelimit-limit'],
    remaining: response.headers['ratelimit-remaining'],
    policy: response.headers['ratelimit-policy'],
  }).toEqual({ limit: String(limit), remaining: String(remaining), policy: `${limit};w=60` });
  const reset = Number(response.headers['ratelimit-reset']);
  expect(Number.isInteger(reset)).toBe(true);
  expect(reset).toBeGreaterThanOrEqual(1);
  expect(reset).toBeLessThanOrEqual(60);
}

function expectRetryAfter(response: Response, atMostS: number): void {
  const retryAfter = Number(response.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(atMostS);
}

/** A problem body without what differs between two answers (request id, seconds left). */
function withoutVolatileMembers(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(body).filter(([name]) => name !== 'requestId' && name !== 'detail'),
  );
}

describe('rate limits', () => {
  /** Generous limits, on a key space of its own: creates the accounts the tests sign in with. */
  const setup = useTestApp((environment) => ({
    REDIS_KEY_PREFIX: `${environment.redis.prefix}setup:`,
  }));
  let keyspaces = 0;

  /**
   * Every client here is 127.0.0.1, so each test counts in a key space of its own (inside the
   * file's prefix); apps started with the same `keyspace` share counters like replicas do.
   */
  function startLimitedApp(keyspace = `k${++keyspaces}`, overrides: Environment = {}) {
    return setup.environment.startApp({
      ...LIMITS,
      REDIS_KEY_PREFIX: `${setup.environment.redis.prefix}${keyspace}:`,
      ...overrides,
    });
  }

  describe('per address', () => {
    it('counts logins down in RateLimit headers and answers the 6th in a minute with 429 RATE_LIMITED', async () => {
      const service = await startLimitedApp();
      const user = await registerUser(setup.server);

      for (let remaining = 4; remaining >= 0; remaining -= 1) {
        const allowed = await login(service.server, user.email, user.password);
        expect(allowed.status).toBe(200);
        expectRateLimitHeaders(allowed, 5, remaining);
      }

      const refused = await login(service.server, user.email, user.password);
      expectProblem(refused, 429, 'RATE_LIMITED');
      expect(refused.body).not.toHaveProperty('accessToken');
      expectRateLimitHeaders(refused, 5, 0);
      expectRetryAfter(refused, 60);
    });

    it('answers the 4th registration in a minute with 429 and creates no account', async () => {
      const service = await startLimitedApp();
      for (let remaining = 2; remaining >= 0; remaining -= 1) {
        const created = await request(service.server)
          .post('/api/v1/auth/register')
          .send(buildUser());
        expect(created.status).toBe(201);
        expectRateLimitHeaders(created, 3, remaining);
      }

      const input = buildUser();
      const refused = await request(service.server).post('/api/v1/auth/register').send(input);
      expectProblem(refused, 429, 'RATE_LIMITED');
      expectRateLimitHeaders(refused, 3, 0);
      expectRetryAfter(refused, 60);

      const signIn = await login(setup.server, input.email, input.password);
      expect(signIn.status).toBe(401);
    });

    it('answers the 5th refresh in a minute with 429 without consuming the refresh token', async () => {
      const service = await startLimitedApp();
      const user = await createSignedInUser(setup.server);

      for (let remaining = 3; remaining >= 0; remaining -= 1) {
        const unknown = await request(service.server)
          .post('/api/v1/auth/refresh')
          .send({ refreshToken: randomBytes(32).toString('base64url') });
        expect(unknown.status).toBe(401);
        expectRateLimitHeaders(unknown, 4, remaining);
      }

      const refused = await request(service.server)
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: user.tokens.refreshToken });
      expectProblem(refused, 429, 'RATE_LIMITED');
      expectRetryAfter(refused, 60);

      await request(setup.server)
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: user.tokens.refreshToken })
        .expect(200);
    });

    it('counts each route on its own and leaves unlimited routes without RateLimit headers', async () => {
      const service = await startLimitedApp();
      const user = await createSignedInUser(setup.server);
      for (let attempt = 0; attempt < 5; attempt += 1) {
        await login(service.server, user.email, user.password).expect(200);
      }
      expect((await login(service.server, user.email, user.password)).status).toBe(429);

      const registered = await request(service.server)
        .post('/api/v1/auth/register')
        .send(buildUser());
      expect(registered.status).toBe(201);
      expectRateLimitHeaders(registered, 3, 2);

      const me = await request(service.server)
        .get('/api/v1/users/me')
        .set('Authorization', user.bearer);
      expect(me.status).toBe(200);
      expect(me.headers['ratelimit-limit']).toBeUndefined();
    });

    it('shares the counters between two instances on one Redis', async () => {
      const first = await startLimitedApp('shared');
      const second = await startLimitedApp('shared');
      const register = (service: TestApp) =>
        request(service.server).post('/api/v1/auth/register').send(buildUser());

      expectRateLimitHeaders(await register(first).expect(201), 3, 2);
      expectRateLimitHeaders(await register(second).expect(201), 3, 1);
      expectRateLimitHeaders(await register(first).expect(201), 3, 0);

      expectProblem(await register(second), 429, 'RATE_LIMITED');
      expectProblem(await register(first), 429, 'RATE_LIMITED');
    });
    it('keys the limit by the connection address, not a spoofable X-Forwarded-For', async () => {
      const service = await startLimitedApp();
      const user = await registerUser(setup.server);
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        await login(service.server, user.email, user.password)
          .set('X-Forwarded-For', `203.0.113.${attempt}`)
          .expect(200);
      }
      const refused = await login(service.server, user.email, user.password).set(
        'X-Forwarded-For',
        '198.51.100.77',
      );
      expectProblem(refused, 429, 'RATE_LIMITED');
    });
  });

  describe('per account', () => {
    it('locks an account after 3 wrong passwords, even against the right password', async () => {
      const service = await startLimitedApp();
      const user = await registerUser(setup.server);
      const bystander = await registerUser(setup.server);

      for (let attempt = 0; attempt < 3; attempt += 1) {
        const wrong = await login(service.server, user.email, `${user.password}-wrong`);
        expectProblem(wrong, 401, 'AUTH_INVALID_CREDENTIALS');
      }

      const locked = await login(service.server, user.email, user.password);
      expectProblem(locked, 429, 'AUTH_ACCOUNT_LOCKED');
      expect(locked.body).not.toHaveProperty('accessToken');
      expectRetryAfter(locked, 60);

      await login(service.server, bystander.email, bystander.password).expect(200);
    });

    it('locks an unknown email exactly like an existing one, whatever its case', async () => {
      const service = await startLimitedApp(undefined, { RATE_LIMIT_LOGIN_PER_MIN: '50' });
      const user = await registerUser(setup.server);
      const unknownEmail = `nobody-${randomBytes(5).toString('hex')}@example.com`;

      const lockOut = async (email: string): Promise<Response> => {
        for (let attempt = 0; attempt < 3; attempt += 1) {
          const wrong = await login(service.server, email, `${user.password}-wrong`);
          expectProblem(wrong, 401, 'AUTH_INVALID_CREDENTIALS');
        }
        return login(service.server, email.toUpperCase(), user.password);
      };
      const existing = await lockOut(user.email);
      const unknown = await lockOut(unknownEmail);

      expectProblem(existing, 429, 'AUTH_ACCOUNT_LOCKED');
      expectProblem(unknown, 429, 'AUTH_ACCOUNT_LOCKED');
      expectRetryAfter(existing, 60);
      expectRetryAfter(unknown, 60);
      expect(withoutVolatileMembers(unknown.body)).toEqual(withoutVolatileMembers(existing.body));
    });

    it('resets the failure count after a successful login', async () => {
      const service = await startLimitedApp(undefined, { RATE_LIMIT_LOGIN_PER_MIN: '50' });
      const user: RegisteredUser = await registerUser(setup.server);
      const fail = () => login(service.server, user.email, `${user.password}-wrong`).expect(401);

      await fail();
      await fail();
      await login(service.server, user.email, user.password).expect(200);
      await fail();
      await fail();
      await login(service.server, user.email, user.password).expect(200);

      await fail();
      await fail();
      await fail();
      expectProblem(
        await login(service.server, user.email, user.password),
        429,
        'AUTH_ACCOUNT_LOCKED',
      );
    });

    it('bounds parallel password guesses on one account by the failure limit', async () => {
      const service = await startLimitedApp(undefined, { RATE_LIMIT_LOGIN_PER_MIN: '50' });
      const user = await registerUser(setup.server);

      const responses = await Promise.all(
        Array.from({ length: 12 }, (_, attempt) =>
          login(service.server, user.email, `${user.password}-guess-${attempt}`),
        ),
      );
      const statuses = responses.map((response) => response.status);
      expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);
      expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(3);
      expectProblem(
        await login(service.server, user.email, user.password),
        429,
        'AUTH_ACCOUNT_LOCKED',
      );
    });

    it('locks password changes after 3 wrong current passwords', async () => {
      const service = await startLimitedApp();
      const user = await createSignedInUser(setup.server);
      const change = (currentPassword: string) =>
        request(service.server)
          .post('/api/v1/auth/password')
          .set('Authorization', user.bearer)
          .send({ currentPassword, newPassword: buildUser().password });

      for (let attempt = 0; attempt < 3; attempt += 1) {
        expectProblem(await change(`${user.password}-wrong`), 400, 'AUTH_PASSWORD_INCORRECT');
      }
      const locked = await change(user.password);
      expectProblem(locked, 429, 'AUTH_ACCOUNT_LOCKED');
      expectRetryAfter(locked, 60);
      await login(setup.server, user.email, user.password).expect(200);
    });

    it('locks account deletion after wrong passwords, counted with password changes', async () => {
      const service = await startLimitedApp();
      const user = await createSignedInUser(setup.server);
      const deleteMe = (password: string) =>
        request(service.server)
          .delete('/api/v1/users/me')
          .set('Authorization', user.bearer)
          .send({ password });

      // A wrong current password on either route counts against the same lock.
      expectProblem(
        await request(service.server)
          .post('/api/v1/auth/password')
          .set('Authorization', user.bearer)
          .send({ currentPassword: `${user.password}-wrong`, newPassword: buildUser().password }),
        400,
        'AUTH_PASSWORD_INCORRECT',
      );
      for (let attempt = 0; attempt < 2; attempt += 1) {
        expectProblem(await deleteMe(`${user.password}-wrong`), 400, 'AUTH_PASSWORD_INCORRECT');
      }
      const locked = await deleteMe(user.password);
      expectProblem(locked, 429, 'AUTH_ACCOUNT_LOCKED');
      expectRetryAfter(locked, 60);
      // Still there: the lock refused the deletion before the password was checked.
      await request(setup.server)
        .get('/api/v1/users/me')
        .set('Authorization', user.bearer)
        .expect(200);
    });

    it('applies an account lock on every instance sharing the Redis', async () => {
      const first = await startLimitedApp('lock-shared');
      const second = await startLimitedApp('lock-shared');
      const user = await registerUser(setup.server);

      await login(first.server, user.email, 'wrong-password-1').expect(401);
      await login(second.server, user.email, 'wrong-password-2').expect(401);
      await login(first.server, user.email, 'wrong-password-3').expect(401);

      expectProblem(
        await login(second.server, user.email, user.password),
        429,
        'AUTH_ACCOUNT_LOCKED',
      );
    });
  });

  describe('per account and client address (behind a trusted proxy)', () => {
    /** One proxy hop: the client address is the last X-Forwarded-For entry. */
    const BEHIND_PROXY: Environment = { TRUST_PROXY: '1', RATE_LIMIT_LOGIN_PER_MIN: '100' };

    it('locks 5 wrong passwords to their address: the owner still signs in from another one', async () => {
      const service = await startLimitedApp(undefined, {
        ...BEHIND_PROXY,
        RATE_LIMIT_LOGIN_FAILURES: '5',
      });
      const user = await registerUser(setup.server);
      const attacker = '203.0.113.10';

      for (let attempt = 0; attempt < 5; attempt += 1) {
        const wrong = await loginFrom(service.server, attacker, user.email, `${user.password}-x`);
        expectProblem(wrong, 401, 'AUTH_INVALID_CREDENTIALS');
      }
      const locked = await loginFrom(service.server, attacker, user.email, user.password);
      expectProblem(locked, 429, 'AUTH_ACCOUNT_LOCKED');
      expectRetryAfter(locked, 60);

      const owner = await loginFrom(service.server, '198.51.100.20', user.email, user.password);
      expect(owner.status).toBe(200);
      expect(owner.body).toHaveProperty('accessToken');
      expectProblem(
        await loginFrom(service.server, attacker, user.email, user.password),
        429,
        'AUTH_ACCOUNT_LOCKED',
      );
    });

    it('locks an IPv6 client by its /64, not by each address in it', async () => {
      const service = await startLimitedApp(undefined, BEHIND_PROXY);
      const user = await registerUser(setup.server);

      for (let host = 1; host <= 3; host += 1) {
        const wrong = await loginFrom(
          service.server,
          `2001:db8:7:1::${host}`,
          user.email,
          `${user.password}-x`,
        );
        expectProblem(wrong, 401, 'AUTH_INVALID_CREDENTIALS');
      }
      expectProblem(
        await loginFrom(service.server, '2001:db8:7:1:abcd::99', user.email, user.password),
        429,
        'AUTH_ACCOUNT_LOCKED',
      );
      await loginFrom(service.server, '2001:db8:7:2::1', user.email, user.password).expect(200);
    });

    it('past the per-account threshold refuses addresses with failures and lets clean ones in', async () => {
      const service = await startLimitedApp(undefined, {
        ...BEHIND_PROXY,
        RATE_LIMIT_LOGIN_FAILURES: '5',
        RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: '6',
      });
      const user = await registerUser(setup.server);
      const attackers = ['203.0.113.31', '203.0.113.32', '203.0.113.33'];

      // Two failures from each of three addresses: no pair reaches its lock, the account does.
      for (const attacker of attackers) {
        for (let attempt = 0; attempt < 2; attempt += 1) {
          const wrong = await loginFrom(service.server, attacker, user.email, `${user.password}-x`);
          expectProblem(wrong, 401, 'AUTH_INVALID_CREDENTIALS');
        }
      }

      const dirty = await loginFrom(service.server, attackers[0], user.email, user.password);
      expectProblem(dirty, 429, 'AUTH_ACCOUNT_LOCKED');
      expectRetryAfter(dirty, 15 * 60);
      await loginFrom(service.server, '198.51.100.40', user.email, user.password).expect(200);

      // A fresh address gets one guess; after it failed, that address is refused as well.
      const fresh = '203.0.113.34';
      const guess = await loginFrom(service.server, fresh, user.email, `${user.password}-x`);
      expectProblem(guess, 401, 'AUTH_INVALID_CREDENTIALS');
      expectProblem(
        await loginFrom(service.server, fresh, user.email, user.password),
        429,
        'AUTH_ACCOUNT_LOCKED',
      );
      await loginFrom(service.server, '198.51.100.41', user.email, user.password).expect(200);
    });

    it('locks password changes per user and address', async () => {
      const service = await startLimitedApp(undefined, BEHIND_PROXY);
      const user = await createSignedInUser(setup.server);
      const attacker = '203.0.113.50';

      for (let attempt = 0; attempt < 3; attempt += 1) {
        const wrong = await changePasswordFrom(
          service.server,
          attacker,
          user,
          `${user.password}-x`,
        );
        expectProblem(wrong, 400, 'AUTH_PASSWORD_INCORRECT');
      }
      expectProblem(
        await changePasswordFrom(service.server, attacker, user, user.password),
        429,
        'AUTH_ACCOUNT_LOCKED',
      );
      await changePasswordFrom(service.server, '198.51.100.50', user, user.password).expect(204);
    });
  });

  describe('password changes (two argon2 runs each)', () => {
    const PASSWORD_LIMIT: Environment = {
      TRUST_PROXY: '1',
      RATE_LIMIT_PASSWORD_PER_MIN: '3',
      RATE_LIMIT_LOGIN_FAILURES: '10',
    };

    it('answers the 4th change of one user in a minute with 429, from whichever address', async () => {
      const service = await startLimitedApp(undefined, PASSWORD_LIMIT);
      const user = await createSignedInUser(setup.server);
      const wrong = `${user.password}-x`;

      await changePasswordFrom(service.server, '203.0.113.61', user, wrong).expect(400);
      await changePasswordFrom(service.server, '203.0.113.61', user, wrong).expect(400);
      await changePasswordFrom(service.server, '203.0.113.62', user, wrong).expect(400);
      const refused = await changePasswordFrom(service.server, '203.0.113.62', user, user.password);
      expectProblem(refused, 429, 'RATE_LIMITED');
      expectRetryAfter(refused, 60);
      // The address is still under its own limit.
      expectRateLimitHeaders(refused, 3, 1);

      await login(setup.server, user.email, user.password).expect(200);
    });

    it('counts account deletions (password confirmed) with the changes of that user', async () => {
      const service = await startLimitedApp(undefined, PASSWORD_LIMIT);
      const user = await createSignedInUser(setup.server);
      const deleteMe = (clientIp: string, password: string) =>
        request(service.server)
          .delete('/api/v1/users/me')
          .set('Authorization', user.bearer)
          .set('X-Forwarded-For', clientIp)
          .send({ password });

      await changePasswordFrom(service.server, '203.0.113.81', user, `${user.password}-x`).expect(
        400,
      );
      expectProblem(
        await deleteMe('203.0.113.82', `${user.password}-x`),
        400,
        'AUTH_PASSWORD_INCORRECT',
      );
      expectRateLimitHeaders(await deleteMe('203.0.113.82', `${user.password}-y`), 3, 1);
      const refused = await deleteMe('203.0.113.83', user.password);
      expectProblem(refused, 429, 'RATE_LIMITED');
      expectRetryAfter(refused, 60);

      await login(setup.server, user.email, user.password).expect(200);
    });

    it('answers the 4th change from one address in a minute with 429, whoever asks', async () => {
      const service = await startLimitedApp(undefined, PASSWORD_LIMIT);
      const first = await createSignedInUser(setup.server);
      const second = await createSignedInUser(setup.server);
      const address = '198.51.100.70';

      for (let remaining = 2; remaining >= 1; remaining -= 1) {
        const wrong = await changePasswordFrom(
          service.server,
          address,
          first,
          `${first.password}-x`,
        );
        expectProblem(wrong, 400, 'AUTH_PASSWORD_INCORRECT');
        expectRateLimitHeaders(wrong, 3, remaining);
      }
      await changePasswordFrom(service.server, address, second, `${second.password}-x`).expect(400);
      const refused = await changePasswordFrom(service.server, address, second, second.password);
      expectProblem(refused, 429, 'RATE_LIMITED');
      expectRateLimitHeaders(refused, 3, 0);
      expectRetryAfter(refused, 60);

      await changePasswordFrom(service.server, '198.51.100.71', second, second.password).expect(
        204,
      );
    });

    it('counts IPv6 clients in one /64 against one limit', async () => {
      const service = await startLimitedApp(undefined, PASSWORD_LIMIT);
      const users = await Promise.all([1, 2, 3, 4].map(() => createSignedInUser(setup.server)));

      for (const [host, user] of users.slice(0, 3).entries()) {
        await changePasswordFrom(
          service.server,
          `2001:db8:9:1::${host + 1}`,
          user,
          'wrong-1',
        ).expect(400);
      }
      const last = users[3];
      expectProblem(
        await changePasswordFrom(service.server, '2001:db8:9:1:ffff::1', last, last.password),
        429,
        'RATE_LIMITED',
      );
      await changePasswordFrom(service.server, '2001:db8:9:2::1', last, last.password).expect(204);
    });
  });
});
