import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { AuditService } from '../../src/audit/audit.service.js';
import { AdminBootstrap } from '../../src/auth/admin-bootstrap.js';
import { SessionsPurgeService } from '../../src/auth/sessions-purge.service.js';
import { hashRefreshToken } from '../../src/auth/tokens/refresh-token.js';
import {
  buildUser,
  createSignedInUser,
  type SignedInUser,
  type TokenPair,
} from '../factories/user.factory.js';
import { createSignedInAdmin } from '../support/admin.js';
import { useTestApp, type TestAppHandle } from '../support/test-app.js';
import { expectProblem } from '../support/users-api.js';

interface EventBody {
  id: string;
  type: string;
  createdAt: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  actorId: string | null;
  details: Record<string, unknown>;
}

interface EventsPage {
  data: EventBody[];
  nextCursor: string | null;
}

const EVENT_KEYS = [
  'actorId',
  'createdAt',
  'details',
  'id',
  'ip',
  'requestId',
  'type',
  'userAgent',
];
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const USER_AGENT = 'audit-journey/1.0 (e2e)';
const ADMIN_AGENT = 'audit-admin-console/2.0 (e2e)';
// Recorded by the account flows (registration, email verification), not by this journey's steps.
const ACCOUNT_FLOW_TYPES = new Set(['registered', 'email_verification_sent']);

/** Requests of the journey: each with its own X-Request-Id, so every event names its request. */
function journeyApi(service: TestAppHandle) {
  const send = (
    method: 'get' | 'post' | 'patch' | 'delete',
    path: string,
    requestId: string,
    options: { bearer?: string; agent?: string } = {},
  ) => {
    const agent = request(service.server);
    const call = agent[method](path)
      .set('User-Agent', options.agent ?? USER_AGENT)
      .set('X-Request-Id', requestId);
    if (options.bearer) call.set('Authorization', options.bearer);
    return call;
  };
  const login = async (email: string, password: string, requestId: string) => {
    const response = await send('post', '/api/v1/auth/login', requestId).send({
      email,
      password,
    });
    expect(response.status).toBe(200);
    return response.body as TokenPair;
  };
  const events = (path: string, bearer: string, query: Record<string, string | number> = {}) =>
    request(service.server).get(path).query(query).set('Authorization', bearer);
  return { send, login, events };
}

/** The session id inside an access token (its `sid` claim). */
function sessionOf(tokens: TokenPair): string {
  const payload = JSON.parse(
    Buffer.from(tokens.accessToken.split('.')[1], 'base64url').toString('utf8'),
  ) as { sid?: string };
  if (typeof payload.sid !== 'string') throw new Error('access token without sid');
  return payload.sid;
}

describe('account history (auth_events)', () => {
  const service = useTestApp({ REFRESH_REUSE_GRACE_S: '0', SESSION_PURGE_INTERVAL: '0' });
  let admin: SignedInUser;

  beforeAll(async () => {
    admin = await createSignedInAdmin(service);
  });

  const { send, login, events } = journeyApi(service);

  async function allEventRowsAsText(): Promise<string> {
    const rows = await service.environment.database.query<{ row: string }>(
      'SELECT row_to_json(e)::text AS row FROM auth_events e',
    );
    return rows.map((row) => row.row).join('\n');
  }

  describe('a journey through sign-in, sessions, password and admin changes', () => {
    const input = buildUser();
    const newPassword = `${input.password}-changed`;
    const wrongPassword = `${input.password}-wrong`;
    const secrets: string[] = [wrongPassword, input.password, newPassword];
    let userId: string;
    let passwordHashes: string[];
    /** What each step should have recorded, oldest first. */
    const expected: Array<Partial<EventBody> & { type: string }> = [];
    let history: EventBody[];

    const keep = (tokens: TokenPair): TokenPair => {
      secrets.push(tokens.accessToken, tokens.refreshToken, hashRefreshToken(tokens.refreshToken));
      return tokens;
    };

    beforeAll(async () => {
      const registered = await send('post', '/api/v1/auth/register', 'j-register').send(input);
      expect(registered.status).toBe(201);
      userId = (registered.body as { id: string }).id;

      const failed = await send('post', '/api/v1/auth/login', 'j-login-failed').send({
        email: input.email,
        password: wrongPassword,
      });
      expect(failed.status).toBe(401);
      expected.push({
        type: 'login_failed',
        requestId: 'j-login-failed',
        details: { reason: 'wrong_password' },
      });

      const first = keep(await login(input.email, input.password, 'j-login-1'));
      const firstSession = sessionOf(first);
      expected.push({
        type: 'login_succeeded',
        requestId: 'j-login-1',
        details: { sessionId: firstSession },
      });

      const rotated = await send('post', '/api/v1/auth/refresh', 'j-refresh').send({
        refreshToken: first.refreshToken,
      });
      expect(rotated.status).toBe(200);
      keep(rotated.body as TokenPair);
      expected.push({
        type: 'refresh',
        requestId: 'j-refresh',
        details: { sessionId: firstSession },
      });

      const reused = await send('post', '/api/v1/auth/refresh', 'j-reuse').send({
        refreshToken: first.refreshToken,
      });
      expect(reused.status).toBe(401);
      expected.push({
        type: 'refresh_reuse_detected',
        requestId: 'j-reuse',
        details: { sessionId: firstSession },
      });

      const second = keep(await login(input.email, input.password, 'j-login-2'));
      expected.push({
        type: 'login_succeeded',
        requestId: 'j-login-2',
        details: { sessionId: sessionOf(second) },
      });
      const third = keep(await login(input.email, input.password, 'j-login-3'));
      expected.push({
        type: 'login_succeeded',
        requestId: 'j-login-3',
        details: { sessionId: sessionOf(third) },
      });

      const loggedOut = await send('post', '/api/v1/auth/logout', 'j-logout', {
        bearer: `Bearer ${third.accessToken}`,
      });
      expect(loggedOut.status).toBe(204);
      expected.push({
        type: 'logout',
        requestId: 'j-logout',
        details: { sessionId: sessionOf(third) },
      });

      const revoked = await send(
        'delete',
        `/api/v1/auth/sessions/${sessionOf(second)}`,
        'j-revoke',
        { bearer: `Bearer ${second.accessToken}` },
      );
      expect(revoked.status).toBe(204);
      expected.push({
        type: 'session_revoked',
        requestId: 'j-revoke',
        details: { sessionId: sessionOf(second) },
      });

      const fourth = keep(await login(input.email, input.password, 'j-login-4'));
      expected.push({
        type: 'login_succeeded',
        requestId: 'j-login-4',
        details: { sessionId: sessionOf(fourth) },
      });
      const allOut = await send('post', '/api/v1/auth/logout-all', 'j-logout-all', {
        bearer: `Bearer ${fourth.accessToken}`,
      });
      expect(allOut.status).toBe(204);
      expected.push({ type: 'logout_all', requestId: 'j-logout-all', details: {} });

      const fifth = keep(await login(input.email, input.password, 'j-login-5'));
      expected.push({
        type: 'login_succeeded',
        requestId: 'j-login-5',
        details: { sessionId: sessionOf(fifth) },
      });
      const changed = await send('post', '/api/v1/auth/password', 'j-password', {
        bearer: `Bearer ${fifth.accessToken}`,
      }).send({ currentPassword: input.password, newPassword });
      expect(changed.status).toBe(204);
      expected.push({ type: 'password_changed', requestId: 'j-password', details: {} });

      // The owner reads their own history while the account exists.
      const own = await events('/api/v1/users/me/events', `Bearer ${fifth.accessToken}`, {
        limit: 100,
      });
      expect(own.status).toBe(200);
      history = (own.body as EventsPage).data;

      const asAdmin = { bearer: admin.bearer, agent: ADMIN_AGENT };
      const disabled = await send('patch', `/api/v1/users/${userId}`, 'j-disable', asAdmin).send({
        status: 'disabled',
      });
      expect(disabled.status).toBe(200);
      expected.push({ type: 'account_disabled', requestId: 'j-disable', actorId: admin.id });

      const refused = await send('post', '/api/v1/auth/login', 'j-login-disabled').send({
        email: input.email,
        password: newPassword,
      });
      expect(refused.status).toBe(403);
      expected.push({
        type: 'login_failed',
        requestId: 'j-login-disabled',
        details: { reason: 'account_disabled' },
      });

      const enabled = await send('patch', `/api/v1/users/${userId}`, 'j-enable', asAdmin).send({
        status: 'active',
      });
      expect(enabled.status).toBe(200);
      expected.push({ type: 'account_enabled', requestId: 'j-enable', actorId: admin.id });

      const promoted = await send('patch', `/api/v1/users/${userId}`, 'j-roles', asAdmin).send({
        roles: ['user', 'admin'],
      });
      expect(promoted.status).toBe(200);
      expected.push({
        type: 'roles_changed',
        requestId: 'j-roles',
        actorId: admin.id,
        details: { from: ['user'], to: ['user', 'admin'] },
      });

      passwordHashes = (
        await service.environment.database.query<{ password_hash: string }>(
          'SELECT password_hash FROM users',
        )
      ).map((row) => row.password_hash);

      const deleted = await send('delete', `/api/v1/users/${userId}`, 'j-delete', asAdmin);
      expect(deleted.status).toBe(204);
      expected.push({ type: 'account_deleted', requestId: 'j-delete', actorId: admin.id });
    });

    const journeyEvents = (page: EventBody[]) =>
      page.filter((event) => !ACCOUNT_FLOW_TYPES.has(event.type));

    it("shows the owner their own events, newest first, each with its request's id, address and user agent", () => {
      const upToPasswordChange = expected.slice(0, expected.length - 5).reverse();
      const own = journeyEvents(history);
      expect(own.map((event) => event.type)).toEqual(upToPasswordChange.map((e) => e.type));
      own.forEach((event, index) => {
        expect(Object.keys(event).sort()).toEqual(EVENT_KEYS);
        expect(event).toMatchObject({
          ...upToPasswordChange[index],
          userAgent: USER_AGENT,
          actorId: null,
          createdAt: expect.stringMatching(ISO_DATE),
          ip: expect.stringMatching(/127\.0\.0\.1/),
        });
      });
    });

    it('shows an admin the whole history after the account is deleted, with the acting admin', async () => {
      const response = await events(`/api/v1/users/${userId}/events`, admin.bearer, {
        limit: 100,
      });
      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      const page = response.body as EventsPage;
      expect(page.nextCursor).toBeNull();
      const all = journeyEvents(page.data);
      const newestFirst = [...expected].reverse();
      expect(all.map((event) => event.type)).toEqual(newestFirst.map((event) => event.type));
      all.forEach((event, index) => {
        const isAdminAction = newestFirst[index].actorId !== undefined;
        expect(event).toMatchObject({
          actorId: null,
          ...newestFirst[index],
          userAgent: isAdminAction ? ADMIN_AGENT : USER_AGENT,
        });
      });
      const times = page.data.map((event) => Date.parse(event.createdAt));
      expect(times).toEqual([...times].sort((a, b) => b - a));
    });

    it('walks the same history two events at a time by cursor, without duplicates or gaps', async () => {
      const whole = await events(`/api/v1/users/${userId}/events`, admin.bearer, { limit: 100 });
      const ids = (whole.body as EventsPage).data.map((event) => event.id);
      const walked: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: Record<string, string | number> = cursor ? { limit: 2, cursor } : { limit: 2 };
        const response = await events(`/api/v1/users/${userId}/events`, admin.bearer, query);
        expect(response.status).toBe(200);
        const page = response.body as EventsPage;
        expect(page.data.length).toBeLessThanOrEqual(2);
        walked.push(...page.data.map((event) => event.id));
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor !== null && pages < 50);
      expect(walked).toEqual(ids);
      expect(new Set(walked).size).toBe(walked.length);
      expect(pages).toBe(Math.ceil(ids.length / 2));
    });

    it('never stores a password, a token, a token hash or a password hash', async () => {
      const stored = await allEventRowsAsText();
      expect(stored).toContain(userId);
      for (const secret of [...secrets, ...passwordHashes]) {
        expect(stored).not.toContain(secret);
      }
      expect(stored).not.toMatch(/argon2|password_hash|refresh_?token/i);
    });
  });

  describe('GET /users/me/events and /users/:id/events', () => {
    it('records a sign-in refused by the lock as login_failed "locked"', async () => {
      const user = await createSignedInUser(service.server);
      let status = 0;
      for (let attempt = 0; attempt < 12 && status !== 429; attempt += 1) {
        const response = await request(service.server)
          .post('/api/v1/auth/login')
          .send({ email: user.email, password: `${user.password}-wrong` });
        status = response.status;
      }
      expect(status).toBe(429);
      const response = await events('/api/v1/users/me/events', user.bearer);
      const [newest, previous] = (response.body as EventsPage).data;
      expect(newest).toMatchObject({ type: 'login_failed', details: { reason: 'locked' } });
      expect(previous).toMatchObject({
        type: 'login_failed',
        details: { reason: 'wrong_password' },
      });
    });

    it('records nothing for an email without an account', async () => {
      const before = await allEventRowsAsText();
      const email = `nobody-${randomUUID()}@example.com`;
      const response = await request(service.server)
        .post('/api/v1/auth/login')
        .send({ email, password: 'Not-the-password-1' });
      expect(response.status).toBe(401);
      await service.app.get(AuditService).flush();
      expect(await allEventRowsAsText()).toBe(before);
    });

    it('shows a user only their own events, and leaves GET /users/me to the users routes', async () => {
      const alice = await createSignedInUser(service.server);
      const bob = await createSignedInUser(service.server);
      const mine = await events('/api/v1/users/me/events', alice.bearer);
      expect(mine.status).toBe(200);
      expect(mine.headers['cache-control']).toBe('no-store');
      const types = (mine.body as EventsPage).data.map((event) => event.type);
      expect(types.filter((type) => !ACCOUNT_FLOW_TYPES.has(type))).toEqual(['login_succeeded']);
      expect(JSON.stringify(mine.body)).not.toContain(bob.id);

      const me = await request(service.server)
        .get('/api/v1/users/me')
        .set('Authorization', alice.bearer);
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: alice.id, email: alice.email });
    });

    it('shows a new event on the next read (never a cached page)', async () => {
      const user = await createSignedInUser(service.server);
      const first = await events('/api/v1/users/me/events', user.bearer);
      await login(user.email, user.password, 'j-cache-check');
      const second = await events('/api/v1/users/me/events', user.bearer);
      expect((second.body as EventsPage).data).toHaveLength(
        (first.body as EventsPage).data.length + 1,
      );
      expect((second.body as EventsPage).data[0]).toMatchObject({
        type: 'login_succeeded',
        requestId: 'j-cache-check',
      });
    });

    it.each([
      ['a limit of 0', { limit: 0 }, 'limit'],
      ['a limit over 100', { limit: 101 }, 'limit'],
      ['a non-numeric limit', { limit: 'ten' }, 'limit'],
      ['a cursor with characters outside base64url', { cursor: 'not a cursor!' }, 'cursor'],
      ['a base64url cursor that is not one', { cursor: 'Z2FyYmFnZQ' }, 'cursor'],
      [
        'a cursor with a uuid for an id',
        {
          cursor: Buffer.from(
            JSON.stringify({ c: '2026-01-01T00:00:00.000Z', i: randomUUID() }),
          ).toString('base64url'),
        },
        'cursor',
      ],
    ])('answers %s with a 400 problem naming the field', async (_label, query, field) => {
      const user = await createSignedInUser(service.server);
      for (const path of ['/api/v1/users/me/events', `/api/v1/users/${user.id}/events`]) {
        const response = await events(
          path,
          path.includes('/me/') ? user.bearer : admin.bearer,
          query,
        );
        expectProblem(response, 400, 'VALIDATION_FAILED', [field]);
      }
    });

    it("refuses a non-admin another user's history (403), and their own by id too", async () => {
      const user = await createSignedInUser(service.server);
      for (const id of [admin.id, user.id]) {
        const response = await events(`/api/v1/users/${id}/events`, user.bearer);
        expectProblem(response, 403, 'AUTH_FORBIDDEN');
      }
    });

    it('answers an admin an empty page for an id that never had an account, and 400 for a non-uuid', async () => {
      const unknown = await events(`/api/v1/users/${randomUUID()}/events`, admin.bearer);
      expect(unknown.status).toBe(200);
      expect(unknown.body).toEqual({ data: [], nextCursor: null });
      const malformed = await events('/api/v1/users/not-a-uuid/events', admin.bearer);
      expectProblem(malformed, 400, 'VALIDATION_FAILED', ['id']);
    });

    it("records the admin bootstrap's promotion of an existing account and its password reset", async () => {
      const user = await createSignedInUser(service.server);
      await service.app.get(AdminBootstrap).ensureAdmin(user.email, `${user.password}-operator`);
      const response = await events(`/api/v1/users/${user.id}/events`, admin.bearer);
      const [newest, previous] = (response.body as EventsPage).data;
      expect(newest).toMatchObject({
        type: 'password_changed',
        actorId: null,
        details: { reason: 'admin_bootstrap' },
      });
      expect(previous).toMatchObject({
        type: 'roles_changed',
        actorId: null,
        details: { from: ['user'], to: ['user', 'admin'] },
      });
    });

    it('requires a bearer token', async () => {
      const response = await request(service.server).get('/api/v1/users/me/events');
      expect(response.status).toBe(401);
    });
  });

  describe('retention', () => {
    async function insertEvent(userId: string, ageDays: number): Promise<string> {
      const rows = await service.environment.database.query<{ id: string }>(
        `INSERT INTO auth_events (user_id, type, created_at)
         VALUES ($1, 'login_succeeded', now() - make_interval(days => $2)) RETURNING id`,
        [userId, ageDays],
      );
      return rows[0].id;
    }

    async function remaining(ids: string[]): Promise<string[]> {
      const rows = await service.environment.database.query<{ id: string }>(
        'SELECT id FROM auth_events WHERE id = ANY($1::bigint[]) ORDER BY id',
        [ids],
      );
      return rows.map((row) => row.id);
    }

    it('deletes events older than AUDIT_RETENTION_DAYS (365 by default) with the session purge, and keeps newer ones', async () => {
      const userId = randomUUID();
      const old = [await insertEvent(userId, 366), await insertEvent(userId, 1000)];
      const kept = [await insertEvent(userId, 364), await insertEvent(userId, 0)];
      const report = await service.app.get(SessionsPurgeService).purge();
      expect(report?.authEvents).toBe(2);
      expect(await remaining([...old, ...kept])).toEqual(kept);
    });
  });
});

describe('retention with AUDIT_RETENTION_DAYS set', () => {
  const service = useTestApp({ AUDIT_RETENTION_DAYS: '30', SESSION_PURGE_INTERVAL: '0' });

  it('deletes events older than the configured number of days', async () => {
    const userId = randomUUID();
    const insert = async (ageDays: number) =>
      (
        await service.environment.database.query<{ id: string }>(
          `INSERT INTO auth_events (user_id, type, created_at)
           VALUES ($1, 'logout', now() - make_interval(days => $2)) RETURNING id`,
          [userId, ageDays],
        )
      )[0].id;
    const old = await insert(31);
    const kept = await insert(29);
    expect(await service.app.get(SessionsPurgeService).purge()).toMatchObject({ authEvents: 1 });
    const rows = await service.environment.database.query<{ id: string }>(
      'SELECT id FROM auth_events WHERE user_id = $1',
      [userId],
    );
    expect(rows.map((row) => row.id)).toEqual([kept]);
    expect(old).not.toBe(kept);
  });
});
