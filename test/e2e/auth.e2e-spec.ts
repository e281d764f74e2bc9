import { createHash, createPublicKey, randomBytes, randomUUID, verify } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import type { Server } from 'node:http';
import { beforeAll, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import {
  buildUser,
  createSignedInUser,
  registerUser,
  type RegisteredUser,
  type SignedInUser,
  type TokenPair,
} from '../factories/user.factory.js';
import { createSignedInAdmin } from '../support/admin.js';
import { decodeJwt } from '../support/jwt.js';
import { expectProblem, expectUnauthorized } from '../support/problem.js';
import { useTestApp, type TestApp } from '../support/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const ISSUER = 'user-auth-service';
const AUDIENCE = 'user-auth-service';

interface SessionBody {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
}

interface PublicJwk extends JsonWebKey {
  kid: string;
}

/** A password of exactly `length` characters that is not on any common-password list. */
function strongPassword(length: number): string {
  return `Vq7-${randomBytes(length).toString('hex')}`.slice(0, length);
}

function me(server: Server, accessToken: string) {
  return request(server).get('/api/v1/users/me').set('Authorization', `Bearer ${accessToken}`);
}

function refresh(server: Server, refreshToken: string) {
  return request(server).post('/api/v1/auth/refresh').send({ refreshToken });
}

function logout(server: Server, accessToken: string) {
  return request(server).post('/api/v1/auth/logout').set('Authorization', `Bearer ${accessToken}`);
}

function listSessions(server: Server, accessToken: string) {
  return request(server).get('/api/v1/auth/sessions').set('Authorization', `Bearer ${accessToken}`);
}

async function signIn(
  server: Server,
  user: { email: string; password: string },
  userAgent = 'jest-e2e',
): Promise<TokenPair> {
  const response = await request(server)
    .post('/api/v1/auth/login')
    .set('User-Agent', userAgent)
    .send({ email: user.email, password: user.password });
  expect(response.status).toBe(200);
  return response.body as TokenPair;
}

describe('auth', () => {
  const service = useTestApp();
  /** The same service with no grace window, so a reused refresh token is caught at once. */
  let strictService: TestApp;
  let admin: SignedInUser;

  beforeAll(async () => {
    strictService = await service.environment.startApp({ REFRESH_REUSE_GRACE_S: '0' });
    admin = await createSignedInAdmin(service);
  });

  const api = () => request(service.server);

  describe('POST /auth/register', () => {
    it('creates a user and answers 201 with the user, never a password hash', async () => {
      const input = buildUser();
      const response = await api().post('/api/v1/auth/register').send(input);
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(UUID),
        email: input.email,
        displayName: input.displayName,
        roles: ['user'],
        status: 'active',
        emailVerified: false,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(response.text).not.toMatch(/hash|argon2|password/i);
    });

    it('stores the email trimmed, NFKC-normalized and lower-cased', async () => {
      const tag = randomBytes(4).toString('hex');
      const input = buildUser({ email: `  \uFF21da-${tag}@\uFF25xample.COM  ` });
      const response = await api().post('/api/v1/auth/register').send(input);
      expect(response.status).toBe(201);
      expect(response.body.email).toBe(`ada-${tag}@example.com`);

      await signIn(service.server, { email: `ada-${tag}@example.com`, password: input.password });
    });

    it('refuses an email that differs only by case or Unicode form with 409 USERS_EMAIL_TAKEN', async () => {
      const tag = randomBytes(4).toString('hex');
      await registerUser(service.server, { email: `jose\u0301-${tag}@example.com` });

      const upper = await api()
        .post('/api/v1/auth/register')
        .send(buildUser({ email: `JOS\u00C9-${tag}@EXAMPLE.COM` }));
      expectProblem(upper, 409, 'USERS_EMAIL_TAKEN');
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['an invalid email', { email: 'not-an-email' }, 'email'],
      ['a zero-width space in the email', { email: 'a\u200Bb@example.com' }, 'email'],
      ['a right-to-left override in the email', { email: '\u202Eabc@example.com' }, 'email'],
      ['a password of 11 characters', { password: strongPassword(11) }, 'password'],
      ['a password of 129 characters', { password: strongPassword(129) }, 'password'],
      ['the common password "password1234"', { password: 'password1234' }, 'password'],
      ['the common password "qwerty123456"', { password: 'qwerty123456' }, 'password'],
      ['an unknown roles field (mass assignment)', { roles: ['admin'] }, 'roles'],
      ['an unknown status field (mass assignment)', { status: 'active' }, 'status'],
    ])('refuses %s with 400 VALIDATION_FAILED naming the field', async (_case, override, field) => {
      const response = await api()
        .post('/api/v1/auth/register')
        .send({ ...buildUser(), ...override });
      expectProblem(response, 400, 'VALIDATION_FAILED');
      const errors = response.body.errors as Array<{ field: string; message: string }>;
      expect(errors.length).toBeGreaterThan(0);
      for (const error of errors) {
        expect(error).toEqual({ field, message: expect.any(String) });
      }
    });

    it('creates nothing when the body tries to assign roles', async () => {
      const input = buildUser();
      const refused = await api()
        .post('/api/v1/auth/register')
        .send({ ...input, roles: ['admin'] });
      expect(refused.status).toBe(400);

      const created = await api().post('/api/v1/auth/register').send(input);
      expect(created.status).toBe(201);
      expect(created.body.roles).toEqual(['user']);
    });

    it.each([
      ['__proto__', '{"roles":["admin"]}'],
      ['constructor', '{"prototype":{"roles":["admin"]}}'],
    ])('grants no role through a %s member', async (member, value) => {
      const input = buildUser();
      const response = await api()
        .post('/api/v1/auth/register')
        .set('Content-Type', 'application/json')
        .send(`{"email":"${input.email}","password":"${input.password}","${member}":${value}}`);
      expect([201, 400]).toContain(response.status);
      expect(response.body.roles ?? []).not.toContain('admin');
      if (response.status === 201) {
        const tokens = await signIn(service.server, input);
        expect(decodeJwt(tokens.accessToken).payload.roles).toEqual(['user']);
      }
    });

    it.each(['__proto__', 'constructor'])(
      'refuses a %s member like any other unknown field',
      async (member) => {
        const input = buildUser();
        const response = await api()
          .post('/api/v1/auth/register')
          .set('Content-Type', 'application/json')
          .send(`{"email":"${input.email}","password":"${input.password}","${member}":{}}`);
        expectProblem(response, 400, 'VALIDATION_FAILED');
      },
    );

    it('accepts a 128-character password and never truncates it', async () => {
      const password = strongPassword(128);
      const user = await registerUser(service.server, { password });

      const truncated = await api()
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: password.slice(0, 127) });
      expectUnauthorized(truncated, 'AUTH_INVALID_CREDENTIALS');

      await signIn(service.server, { email: user.email, password });
    });

    it('lets exactly one of 8 concurrent registrations of one email succeed and answers the others 409', async () => {
      const tag = randomBytes(4).toString('hex');
      const local = `race-${tag}`;
      const emails = [
        `${local}@example.com`,
        `${local.toUpperCase()}@EXAMPLE.COM`,
        `R${local.slice(1)}@example.com`,
        `${local}@Example.Com`,
        ` ${local}@example.com `,
        `${local.toUpperCase()}@example.com`,
        `\uFF52${local.slice(1)}@example.com`,
        `${local}@EXAMPLE.com`,
      ];
      const responses = await Promise.all(
        emails.map((email) => api().post('/api/v1/auth/register').send(buildUser({ email }))),
      );
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      for (const response of responses.filter((candidate) => candidate.status === 409)) {
        expectProblem(response, 409, 'USERS_EMAIL_TAKEN');
      }
      expect(responses.find((response) => response.status === 201)?.body.email).toBe(
        `${local}@example.com`,
      );
    });
  });

  describe('POST /auth/login', () => {
    it('answers 200 with a Bearer token pair', async () => {
      const user = await registerUser(service.server);
      const response = await api()
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        refreshToken: expect.stringMatching(REFRESH_TOKEN),
        tokenType: 'Bearer',
        expiresIn: 900,
        refreshExpiresIn: 2_592_000,
      });
      await me(service.server, response.body.accessToken as string).expect(200);
    });

    it('signs in with the email in another case or with surrounding spaces', async () => {
      const user = await registerUser(service.server);
      await signIn(service.server, {
        email: `  ${user.email.toUpperCase()} `,
        password: user.password,
      });
    });

    it('answers an unknown email and a wrong password with the identical 401 problem', async () => {
      const user = await registerUser(service.server);
      const unknown = await api()
        .post('/api/v1/auth/login')
        .send({
          email: `nobody-${randomBytes(4).toString('hex')}@example.com`,
          password: user.password,
        });
      const wrong = await api()
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: `${user.password}x` });

      expectUnauthorized(unknown, 'AUTH_INVALID_CREDENTIALS');
      expectUnauthorized(wrong, 'AUTH_INVALID_CREDENTIALS');
      const { requestId: unknownRequestId, ...unknownBody } = unknown.body as Record<
        string,
        unknown
      >;
      const { requestId: wrongRequestId, ...wrongBody } = wrong.body as Record<string, unknown>;
      expect(unknownRequestId).not.toBe(wrongRequestId);
      expect(wrongBody).toEqual(unknownBody);
      expect(wrong.headers['www-authenticate']).toBe(unknown.headers['www-authenticate']);
    });

    it('spends the same password-hashing work on an unknown email as on a wrong password', async () => {
      const median = (values: number[]) => values.sort((x, y) => x - y)[values.length >> 1];
      const timed = async (email: string) => {
        const started = performance.now();
        await api()
          .post('/api/v1/auth/login')
          .send({ email, password: 'wrong-password-x' })
          .expect(401);
        return performance.now() - started;
      };
      const wrong: number[] = [];
      const unknown: number[] = [];
      for (let sample = 0; sample < 5; sample += 1) {
        const user = await registerUser(service.server);
        wrong.push(await timed(user.email));
        unknown.push(await timed(`nobody-${user.email}`));
      }
      // A skipped hash answers an unknown email about ten times faster than a wrong password.
      expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.5);
    });

    it('refuses a disabled account even with the right password', async () => {
      const user = await registerUser(service.server);
      await request(service.server)
        .patch(`/api/v1/users/${user.id}`)
        .set('Authorization', admin.bearer)
        .send({ status: 'disabled' })
        .expect(200);

      const response = await api()
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password });
      expectProblem(response, 403, 'AUTH_ACCOUNT_DISABLED');
      expect(response.body).not.toHaveProperty('accessToken');
    });
  });

  describe('POST /auth/refresh', () => {
    it('exchanges a refresh token for a new working pair', async () => {
      const user = await createSignedInUser(service.server);
      const response = await refresh(service.server, user.tokens.refreshToken);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        accessToken: expect.any(String),
        refreshToken: expect.stringMatching(REFRESH_TOKEN),
        tokenType: 'Bearer',
        expiresIn: 900,
        refreshExpiresIn: 2_592_000,
      });
      const pair = response.body as TokenPair;
      expect(pair.refreshToken).not.toBe(user.tokens.refreshToken);
      expect(pair.accessToken).not.toBe(user.tokens.accessToken);
      expect(decodeJwt(pair.accessToken).payload.sid).toBe(
        decodeJwt(user.tokens.accessToken).payload.sid,
      );
      await me(service.server, pair.accessToken).expect(200);
      await refresh(service.server, pair.refreshToken).expect(200);
    });

    it('revokes the whole session when a used refresh token is presented after the grace window', async () => {
      const server = strictService.server;
      const user = await registerUser(server);
      const first = await signIn(server, user);
      const rotated = await refresh(server, first.refreshToken);
      expect(rotated.status).toBe(200);
      const latest = rotated.body as TokenPair;

      const reused = await refresh(server, first.refreshToken);
      expectUnauthorized(reused, 'AUTH_REFRESH_REUSED');

      expectUnauthorized(await refresh(server, latest.refreshToken), 'AUTH_REFRESH_INVALID');
      expectUnauthorized(await me(server, latest.accessToken), 'AUTH_SESSION_REVOKED');
      expectUnauthorized(await me(server, first.accessToken), 'AUTH_SESSION_REVOKED');
    });

    it('leaves the other sessions of the user alone when one session is revoked for reuse', async () => {
      const server = strictService.server;
      const user = await registerUser(server);
      const victim = await signIn(server, user);
      const other = await signIn(server, user);
      await refresh(server, victim.refreshToken).expect(200);
      expect((await refresh(server, victim.refreshToken)).status).toBe(401);

      await me(server, other.accessToken).expect(200);
      await refresh(server, other.refreshToken).expect(200);
    });

    it('answers a repeat of the same refresh within the grace window with the very same pair', async () => {
      const user = await createSignedInUser(service.server);
      const first = await refresh(service.server, user.tokens.refreshToken);
      const repeat = await refresh(service.server, user.tokens.refreshToken);
      expect(first.status).toBe(200);
      expect(repeat.status).toBe(200);
      expect(repeat.body).toEqual(first.body);

      const pair = first.body as TokenPair;
      await me(service.server, pair.accessToken).expect(200);
      await refresh(service.server, pair.refreshToken).expect(200);
    });

    it('never resurrects a logged-out session through a grace-window repeat', async () => {
      const user = await createSignedInUser(service.server);
      const rotated = await refresh(service.server, user.tokens.refreshToken).expect(200);
      await logout(service.server, (rotated.body as TokenPair).accessToken).expect(204);

      const repeat = await refresh(service.server, user.tokens.refreshToken);
      expect(repeat.status).toBe(401);
      expect(repeat.body).not.toHaveProperty('accessToken');
    });

    it('gives 5 concurrent refreshes of one token the same pair and keeps the session alive', async () => {
      const user = await createSignedInUser(service.server);
      const responses = await Promise.all(
        Array.from({ length: 5 }, () => refresh(service.server, user.tokens.refreshToken)),
      );
      expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
      const pairs = responses.map((response) => response.body as TokenPair);
      for (const pair of pairs) expect(pair).toEqual(pairs[0]);

      await me(service.server, pairs[0].accessToken).expect(200);
      const sessions = await listSessions(service.server, pairs[0].accessToken).expect(200);
      expect(sessions.body).toHaveLength(1);
      await refresh(service.server, pairs[0].refreshToken).expect(200);
    });

    it('refuses an unknown refresh token with 401', async () => {
      const response = await refresh(service.server, randomBytes(32).toString('base64url'));
      expectUnauthorized(response, 'AUTH_REFRESH_INVALID');
    });

    it('refuses an access token presented as a refresh token', async () => {
      const user = await createSignedInUser(service.server);
      const response = await refresh(service.server, user.tokens.accessToken);
      expect([400, 401]).toContain(response.status);
      expect(response.body).not.toHaveProperty('accessToken');
      await refresh(service.server, user.tokens.refreshToken).expect(200);
    });

    it('accepts the bearer scheme in any case', async () => {
      const user = await createSignedInUser(service.server);
      await api()
        .get('/api/v1/users/me')
        .set('Authorization', `bearer ${user.tokens.accessToken}`)
        .expect(200);
    });

    it('refuses a refresh token presented as a bearer token', async () => {
      const user = await createSignedInUser(service.server);
      expectUnauthorized(await me(service.server, user.tokens.refreshToken), 'AUTH_TOKEN_INVALID');
    });
  });

  describe('POST /auth/logout and /auth/logout-all', () => {
    it('signs out the session at once: its access and refresh tokens get 401', async () => {
      const user = await registerUser(service.server);
      const session = await signIn(service.server, user);
      await me(service.server, session.accessToken).expect(200);

      await logout(service.server, session.accessToken).expect(204);

      expectUnauthorized(await me(service.server, session.accessToken), 'AUTH_SESSION_REVOKED');
      expectUnauthorized(
        await refresh(service.server, session.refreshToken),
        'AUTH_REFRESH_INVALID',
      );
    });

    it('keeps the other sessions of the user signed in after a logout', async () => {
      const user = await registerUser(service.server);
      const leaving = await signIn(service.server, user);
      const staying = await signIn(service.server, user);

      await logout(service.server, leaving.accessToken).expect(204);

      await me(service.server, staying.accessToken).expect(200);
      await refresh(service.server, staying.refreshToken).expect(200);
    });

    it('signs out every session of the user on logout-all, and no one else', async () => {
      const user = await registerUser(service.server);
      const sessions = [
        await signIn(service.server, user),
        await signIn(service.server, user),
        await signIn(service.server, user),
      ];
      const bystander = await createSignedInUser(service.server);

      await api()
        .post('/api/v1/auth/logout-all')
        .set('Authorization', `Bearer ${sessions[0].accessToken}`)
        .expect(204);

      for (const session of sessions) {
        expectUnauthorized(await me(service.server, session.accessToken), 'AUTH_SESSION_REVOKED');
        expect((await refresh(service.server, session.refreshToken)).status).toBe(401);
      }
      await me(service.server, bystander.tokens.accessToken).expect(200);
    });

    it('requires a bearer token to log out', async () => {
      expectUnauthorized(await api().post('/api/v1/auth/logout'), 'AUTH_TOKEN_MISSING');
    });
  });

  describe('GET /auth/sessions', () => {
    it('lists the active sessions as a bare array with exactly one current', async () => {
      const user = await registerUser(service.server);
      const phone = await signIn(service.server, user, 'Phone/1.0 (e2e)');
      const laptop = await signIn(service.server, user, 'Laptop/2.0 (e2e)');
      await createSignedInUser(service.server);

      const response = await listSessions(service.server, laptop.accessToken);
      expect(response.status).toBe(200);
      expect(Array.isArray(response.body)).toBe(true);
      const sessions = response.body as SessionBody[];
      expect(sessions).toHaveLength(2);
      for (const session of sessions) {
        expect(session).toEqual({
          id: expect.stringMatching(UUID),
          createdAt: expect.any(String),
          lastUsedAt: expect.any(String),
          expiresAt: expect.any(String),
          userAgent: expect.any(String),
          ip: expect.stringMatching(/127\.0\.0\.1|::1/),
          current: expect.any(Boolean),
        });
        const lifetimeMs = Date.parse(session.expiresAt) - Date.parse(session.createdAt);
        expect(Math.abs(lifetimeMs - 2_592_000_000)).toBeLessThan(10_000);
      }
      const current = sessions.filter((session) => session.current);
      expect(current).toHaveLength(1);
      expect(current[0].userAgent).toBe('Laptop/2.0 (e2e)');
      expect(current[0].id).toBe(decodeJwt(laptop.accessToken).payload.sid);
      expect(sessions.map((session) => session.userAgent).sort()).toEqual([
        'Laptop/2.0 (e2e)',
        'Phone/1.0 (e2e)',
      ]);

      const fromPhone = await listSessions(service.server, phone.accessToken).expect(200);
      const phoneCurrent = (fromPhone.body as SessionBody[]).find((session) => session.current);
      expect(phoneCurrent?.userAgent).toBe('Phone/1.0 (e2e)');
    });

    it('leaves signed-out sessions out of the list', async () => {
      const user = await registerUser(service.server);
      const leaving = await signIn(service.server, user);
      const staying = await signIn(service.server, user);
      await logout(service.server, leaving.accessToken).expect(204);

      const response = await listSessions(service.server, staying.accessToken).expect(200);
      expect((response.body as SessionBody[]).map((session) => session.id)).toEqual([
        decodeJwt(staying.accessToken).payload.sid,
      ]);
    });
  });

  describe('DELETE /auth/sessions/:id', () => {
    it('signs out one of your own sessions with 204', async () => {
      const user = await registerUser(service.server);
      const keeper = await signIn(service.server, user);
      const target = await signIn(service.server, user);
      const targetId = decodeJwt(target.accessToken).payload.sid as string;

      await api()
        .delete(`/api/v1/auth/sessions/${targetId}`)
        .set('Authorization', `Bearer ${keeper.accessToken}`)
        .expect(204);

      expectUnauthorized(await me(service.server, target.accessToken), 'AUTH_SESSION_REVOKED');
      expect((await refresh(service.server, target.refreshToken)).status).toBe(401);
      const remaining = await listSessions(service.server, keeper.accessToken).expect(200);
      expect((remaining.body as SessionBody[]).map((session) => session.id)).not.toContain(
        targetId,
      );
    });

    it("answers 404 AUTH_SESSION_NOT_FOUND for another user's session and leaves it signed in", async () => {
      const attacker = await createSignedInUser(service.server);
      const victim = await createSignedInUser(service.server);
      const victimSessionId = decodeJwt(victim.tokens.accessToken).payload.sid as string;

      const response = await api()
        .delete(`/api/v1/auth/sessions/${victimSessionId}`)
        .set('Authorization', attacker.bearer);
      expectProblem(response, 404, 'AUTH_SESSION_NOT_FOUND');
      await me(service.server, victim.tokens.accessToken).expect(200);

      const unknown = await api()
        .delete(`/api/v1/auth/sessions/${randomUUID()}`)
        .set('Authorization', attacker.bearer);
      expectProblem(unknown, 404, 'AUTH_SESSION_NOT_FOUND');
      expect(unknown.body.detail).toBe(response.body.detail);
    });

    it('answers 400 for a session id that is not a UUID', async () => {
      const user = await createSignedInUser(service.server);
      const response = await api()
        .delete('/api/v1/auth/sessions/not-a-uuid')
        .set('Authorization', user.bearer);
      expectProblem(response, 400, 'VALIDATION_FAILED');
    });
  });

  describe('POST /auth/password', () => {
    const changePassword = (accessToken: string, body: Record<string, unknown>) =>
      api().post('/api/v1/auth/password').set('Authorization', `Bearer ${accessToken}`).send(body);

    it('refuses a wrong current password with 400 AUTH_PASSWORD_INCORRECT and keeps the old one', async () => {
      const user = await createSignedInUser(service.server);
      const response = await changePassword(user.tokens.accessToken, {
        currentPassword: `${user.password}-wrong`,
        newPassword: strongPassword(20),
      });
      expectProblem(response, 400, 'AUTH_PASSWORD_INCORRECT');
      await signIn(service.server, user);
    });

    it('refuses a common new password with 400', async () => {
      const user = await createSignedInUser(service.server);
      const response = await changePassword(user.tokens.accessToken, {
        currentPassword: user.password,
        newPassword: 'password1234',
      });
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors).toEqual([{ field: 'newPassword', message: expect.any(String) }]);
      await signIn(service.server, user);
    });

    it('changes the password, signs out every other session and keeps the current one', async () => {
      const user: RegisteredUser = await registerUser(service.server);
      const current = await signIn(service.server, user);
      const other = await signIn(service.server, user);
      const newPassword = strongPassword(24);

      await changePassword(current.accessToken, {
        currentPassword: user.password,
        newPassword,
      }).expect(204);

      expectUnauthorized(await me(service.server, other.accessToken), 'AUTH_SESSION_REVOKED');
      expect((await refresh(service.server, other.refreshToken)).status).toBe(401);
      await me(service.server, current.accessToken).expect(200);

      const oldPassword = await api()
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password });
      expectUnauthorized(oldPassword, 'AUTH_INVALID_CREDENTIALS');
      await signIn(service.server, { email: user.email, password: newPassword });
      await refresh(service.server, current.refreshToken).expect(200);
    });
  });

  describe('access tokens and JWKS', () => {
    it('publishes the EC P-256 verification keys at /.well-known/jwks.json, without private parts', async () => {
      const response = await api().get('/.well-known/jwks.json');
      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toContain('max-age');
      const keys = response.body.keys as PublicJwk[];
      expect(keys.length).toBeGreaterThanOrEqual(1);
      for (const key of keys) {
        expect(key).toEqual({
          kty: 'EC',
          crv: 'P-256',
          alg: 'ES256',
          use: 'sig',
          kid: expect.any(String),
          x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
          y: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        });
        expect(key).not.toHaveProperty('d');
      }
    });

    it('issues access tokens whose kid is in the JWKS and that verify with that key', async () => {
      const user = await createSignedInUser(service.server);
      const jwks = await api().get('/.well-known/jwks.json').expect(200);
      const { header, signature } = decodeJwt(user.tokens.accessToken);
      const jwk = (jwks.body.keys as PublicJwk[]).find((key) => key.kid === header.kid);
      expect(jwk).toBeDefined();
      const publicKey = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });

      const [encodedHeader, encodedPayload] = user.tokens.accessToken.split('.');
      const isValid = verify(
        'sha256',
        Buffer.from(`${encodedHeader}.${encodedPayload}`),
        { key: publicKey, dsaEncoding: 'ieee-p1363' },
        signature,
      );
      expect(isValid).toBe(true);

      const claims = jwt.verify(user.tokens.accessToken, publicKey, {
        algorithms: ['ES256'],
        issuer: ISSUER,
        audience: AUDIENCE,
      }) as jwt.JwtPayload;
      expect(claims.sub).toBe(user.id);
    });

    it('names the key by its RFC 7638 thumbprint', async () => {
      const jwks = await api().get('/.well-known/jwks.json').expect(200);
      for (const key of jwks.body.keys as PublicJwk[]) {
        const canonical = `{"crv":"${key.crv}","kty":"${key.kty}","x":"${key.x}","y":"${key.y}"}`;
        expect(key.kid).toBe(createHash('sha256').update(canonical).digest('base64url'));
      }
    });

    it('puts sub, sid, roles, iss, aud, iat, exp and jti in an at+jwt ES256 token', async () => {
      const user = await registerUser(service.server);
      const pair = await signIn(service.server, user);
      const again = await signIn(service.server, user);
      const { header, payload } = decodeJwt(pair.accessToken);

      expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
      expect(payload).toEqual({
        sub: user.id,
        sid: expect.stringMatching(UUID),
        roles: ['user'],
        iss: ISSUER,
        aud: AUDIENCE,
        iat: expect.any(Number),
        exp: expect.any(Number),
        jti: expect.any(String),
      });
      const iat = payload.iat as number;
      expect(payload.exp as number).toBe(iat + 900);
      expect(Math.abs(iat - Date.now() / 1000)).toBeLessThan(10);

      const sessions = await listSessions(service.server, pair.accessToken).expect(200);
      const current = (sessions.body as SessionBody[]).find((session) => session.current);
      expect(payload.sid).toBe(current?.id);

      const other = decodeJwt(again.accessToken).payload;
      expect(other.jti).not.toBe(payload.jti);
      expect(other.sid).not.toBe(payload.sid);
    });

    it('carries the admin role in an admin token', () => {
      expect(decodeJwt(admin.tokens.accessToken).payload.roles).toEqual(
        expect.arrayContaining(['admin']),
      );
    });
  });
});
