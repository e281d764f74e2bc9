import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  createSignedInUser,
  login,
  registerUser,
  type RegisteredUser,
  type SignedInUser,
} from '../factories/user.factory.js';
import { createSignedInAdmin } from '../support/admin.js';
import { useTestApp } from '../support/test-app.js';
import { expectProblem, USER_KEYS, usersApi, type PageBody } from '../support/users-api.js';

const tag = (): string => randomBytes(4).toString('hex');
const base64url = (text: string): string => Buffer.from(text).toString('base64url');

function claimsOf(accessToken: string): { sub: string; roles: string[] } {
  return JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString('utf8')) as {
    sub: string;
    roles: string[];
  };
}

describe('users', () => {
  const service = useTestApp();
  let admin: SignedInUser;

  beforeAll(async () => {
    admin = await createSignedInAdmin(service);
  });

  const { api, rowOf, sessionCount, getMe, adminGet, adminPatch, walkPages } = usersApi(
    service,
    () => admin,
  );

  describe('GET /users (admin)', () => {
    const prefix = `page-${tag()}-`;
    const paged: RegisteredUser[] = [];

    beforeAll(async () => {
      for (let batch = 0; batch < 45; batch += 15) {
        const registered = await Promise.all(
          Array.from({ length: 15 }, (_, index) =>
            registerUser(service.server, {
              email: `${prefix}${String(batch + index).padStart(2, '0')}@example.com`,
            }),
          ),
        );
        paged.push(...registered);
      }
    });

    it('refuses a non-admin with 403 AUTH_FORBIDDEN', async () => {
      const user = await createSignedInUser(service.server);
      const response = await api().get('/api/v1/users').set('Authorization', user.bearer);
      expectProblem(response, 403, 'AUTH_FORBIDDEN');
    });

    it('answers an admin with {data, nextCursor} of public users, 20 by default', async () => {
      const response = await adminGet('/api/v1/users', { email: prefix });
      expect(response.status).toBe(200);
      expect(Object.keys(response.body as object).sort()).toEqual(['data', 'nextCursor']);
      const page = response.body as PageBody;
      expect(page.data).toHaveLength(20);
      expect(typeof page.nextCursor).toBe('string');
      for (const user of page.data) expect(Object.keys(user).sort()).toEqual(USER_KEYS);
      expect(response.text).not.toMatch(/argon2|password|hash/i);
    });

    it('walks 45 users 10 at a time, each exactly once, newest first, ending with a null cursor', async () => {
      const { pages, users } = await walkPages({ email: prefix, limit: 10 });
      expect(pages.map((page) => page.data.length)).toEqual([10, 10, 10, 10, 5]);
      expect(pages.at(-1)?.nextCursor).toBeNull();
      expect(pages.slice(0, -1).every((page) => typeof page.nextCursor === 'string')).toBe(true);

      const ids = users.map((user) => user.id);
      expect(new Set(ids).size).toBe(45);
      expect([...ids].sort()).toEqual(paged.map((user) => user.id).sort());
      for (let index = 1; index < users.length; index += 1) {
        const newer = users[index - 1];
        const older = users[index];
        const isOrdered =
          newer.createdAt > older.createdAt ||
          (newer.createdAt === older.createdAt && newer.id > older.id);
        expect({ newer, older, isOrdered }).toEqual({ newer, older, isOrdered: true });
      }
    });

    it('puts the most recently registered user first', async () => {
      const newest = await registerUser(service.server);
      const response = await adminGet('/api/v1/users', { limit: 1 });
      expect(response.status).toBe(200);
      expect((response.body as PageBody).data.map((user) => user.id)).toEqual([newest.id]);
    });

    it.each([1, 100])('accepts limit=%p', async (limit) => {
      const response = await adminGet('/api/v1/users', { email: prefix, limit });
      expect(response.status).toBe(200);
      expect((response.body as PageBody).data).toHaveLength(Math.min(limit, 45));
    });

    it.each(['0', '101', '-1', '1.5', 'abc', ''])(
      'rejects limit=%p with 400 naming limit',
      async (limit) => {
        const response = await adminGet('/api/v1/users', { limit });
        expectProblem(response, 400, 'VALIDATION_FAILED', ['limit']);
      },
    );

    it.each([
      ['abc', 'abc'],
      ['base64 of {}', base64url('{}')],
      ['padded base64 of {}', Buffer.from('{}').toString('base64')],
      ['a cursor with a bad uuid', base64url(JSON.stringify({ c: new Date(), i: 'nope' }))],
      ['a cursor with a bad date', base64url(JSON.stringify({ c: 'not a date', i: randomUUID() }))],
      [
        'a cursor dated before the common era',
        base64url(JSON.stringify({ c: '-010000-01-01T00:00:00Z', i: randomUUID() })),
      ],
      ['SQL', "x' OR '1'='1"],
      ['a very long cursor', 'a'.repeat(500)],
    ])('rejects the garbage cursor %s with 400 naming cursor', async (_label, cursor) => {
      const response = await adminGet('/api/v1/users', { cursor });
      expectProblem(response, 400, 'VALIDATION_FAILED', ['cursor']);
    });

    it('filters by email prefix, case-insensitively', async () => {
      const { users } = await walkPages({ email: prefix.toUpperCase(), limit: 100 });
      expect(users.map((user) => user.id).sort()).toEqual(paged.map((user) => user.id).sort());

      const one = await adminGet('/api/v1/users', { email: `${prefix}07@EXAMPLE` });
      expect((one.body as PageBody).data.map((user) => user.email)).toEqual([
        `${prefix}07@example.com`,
      ]);
    });

    it('treats % and _ in the email filter as literal characters, not wildcards', async () => {
      const stem = `lit${tag()}`;
      const underscore = await registerUser(service.server, { email: `${stem}_a@example.com` });
      const percent = await registerUser(service.server, { email: `${stem}%b@example.com` });
      const plain = await registerUser(service.server, { email: `${stem}xc@example.com` });
      const emailsFor = async (email: string) => {
        const response = await adminGet('/api/v1/users', { email });
        expect(response.status).toBe(200);
        return (response.body as PageBody).data.map((user) => user.id).sort();
      };
      expect(await emailsFor(`${stem}_`)).toEqual([underscore.id]);
      expect(await emailsFor(`${stem}%`)).toEqual([percent.id]);
      expect(await emailsFor(`${stem}\\`)).toEqual([]);
      expect(await emailsFor(`${stem}_a@`)).toEqual([underscore.id]);
      expect(await emailsFor('%')).toEqual([]);
      expect(await emailsFor('_')).toEqual([]);
      expect(await emailsFor(stem)).toEqual([underscore.id, percent.id, plain.id].sort());
    });

    it('filters by role and by status', async () => {
      const stem = `filter-${tag()}-`;
      const promoted = await registerUser(service.server, { email: `${stem}a@example.com` });
      const disabled = await registerUser(service.server, { email: `${stem}b@example.com` });
      const plain = await registerUser(service.server, { email: `${stem}c@example.com` });
      await adminPatch(promoted.id, { roles: ['user', 'admin'] }).expect(200);
      await adminPatch(disabled.id, { status: 'disabled' }).expect(200);

      const idsFor = async (query: Record<string, string>) => {
        const response = await adminGet('/api/v1/users', { email: stem, ...query });
        expect(response.status).toBe(200);
        return (response.body as PageBody).data.map((user) => user.id).sort();
      };
      expect(await idsFor({ role: 'admin' })).toEqual([promoted.id]);
      expect(await idsFor({ status: 'disabled' })).toEqual([disabled.id]);
      expect(await idsFor({ status: 'active' })).toEqual([promoted.id, plain.id].sort());
      expect(await idsFor({ role: 'user' })).toEqual([promoted.id, disabled.id, plain.id].sort());

      const admins = await walkPages({ role: 'admin', limit: 100 });
      expect(admins.users.every((user) => user.roles.includes('admin'))).toBe(true);
      expect(admins.users.map((user) => user.id)).toEqual(
        expect.arrayContaining([admin.id, promoted.id]),
      );
      const disabledUsers = await walkPages({ status: 'disabled', limit: 100 });
      expect(disabledUsers.users.every((user) => user.status === 'disabled')).toBe(true);
      expect(disabledUsers.users.map((user) => user.id)).toContain(disabled.id);
    });

    it.each([
      ['an unknown parameter', { sort: 'email' }, 'sort'],
      ['an unknown role', { role: 'superuser' }, 'role'],
      ['an unknown status', { status: 'banned' }, 'status'],
    ])('rejects %s with 400', async (_label, query, field) => {
      const response = await adminGet('/api/v1/users', query);
      expectProblem(response, 400, 'VALIDATION_FAILED', [field]);
    });

    it('reflects an admin change in the list at once', async () => {
      const user = await registerUser(service.server, { displayName: 'Listed before' });
      const before = await adminGet('/api/v1/users', { email: user.email });
      expect((before.body as PageBody).data[0]?.displayName).toBe('Listed before');
      await adminPatch(user.id, { displayName: 'Listed after' }).expect(200);
      const after = await adminGet('/api/v1/users', { email: user.email });
      expect((after.body as PageBody).data.map((entry) => entry.displayName)).toEqual([
        'Listed after',
      ]);
    });
  });

  describe('GET /users/:id (admin)', () => {
    it('returns the user with a strong ETag', async () => {
      const user = await registerUser(service.server, { displayName: 'Looked up' });
      const response = await adminGet(`/api/v1/users/${user.id}`);
      expect(response.status).toBe(200);
      expect(Object.keys(response.body as object).sort()).toEqual(USER_KEYS);
      expect(response.body).toMatchObject({
        id: user.id,
        email: user.email,
        displayName: 'Looked up',
        roles: ['user'],
        status: 'active',
      });
      expect(response.headers.etag).toBe(`"1-${user.id}"`);
      expect(response.headers['cache-control']).toBe('no-store');
    });

    it('shows an admin change on the next read, even after earlier reads', async () => {
      const user = await registerUser(service.server, { displayName: 'Read twice' });
      await adminGet(`/api/v1/users/${user.id}`).expect(200);
      await adminGet(`/api/v1/users/${user.id}`).expect(200);
      await adminPatch(user.id, { displayName: 'Changed once', status: 'disabled' }).expect(200);
      const read = await adminGet(`/api/v1/users/${user.id}`);
      expect(read.body).toMatchObject({ displayName: 'Changed once', status: 'disabled' });
      expect(read.headers.etag).toBe(`"2-${user.id}"`);
    });

    it("shows a user's own change to an admin at once", async () => {
      const user = await createSignedInUser(service.server, { displayName: 'Self before' });
      await adminGet(`/api/v1/users/${user.id}`).expect(200);
      await api()
        .patch('/api/v1/users/me')
        .set('Authorization', user.bearer)
        .send({ displayName: 'Self after' })
        .expect(200);
      const read = await adminGet(`/api/v1/users/${user.id}`);
      expect(read.body.displayName).toBe('Self after');
      const listed = await adminGet('/api/v1/users', { email: user.email });
      expect((listed.body as PageBody).data.map((entry) => entry.displayName)).toEqual([
        'Self after',
      ]);
    });

    it('answers a deleted user with 404 even after earlier reads', async () => {
      const user = await createSignedInUser(service.server);
      await adminGet(`/api/v1/users/${user.id}`).expect(200);
      await api()
        .delete('/api/v1/users/me')
        .set('Authorization', user.bearer)
        .send({ password: user.password })
        .expect(204);
      expectProblem(await adminGet(`/api/v1/users/${user.id}`), 404, 'USERS_NOT_FOUND');
      const listed = await adminGet('/api/v1/users', { email: user.email });
      expect((listed.body as PageBody).data).toEqual([]);
    });

    it('answers an unknown id with 404 USERS_NOT_FOUND', async () => {
      const response = await adminGet(`/api/v1/users/${randomUUID()}`);
      expectProblem(response, 404, 'USERS_NOT_FOUND');
    });

    it('answers an id that is not a UUID with 400', async () => {
      const response = await adminGet('/api/v1/users/not-a-uuid');
      expectProblem(response, 400, 'VALIDATION_FAILED', ['id']);
    });
  });

  describe('PATCH /users/:id (admin)', () => {
    it('changes display name, roles and status and returns the user with its new ETag', async () => {
      const user = await registerUser(service.server);
      const response = await adminPatch(user.id, {
        displayName: 'Set by admin',
        roles: ['user', 'admin'],
        status: 'disabled',
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        id: user.id,
        displayName: 'Set by admin',
        roles: ['user', 'admin'],
        status: 'disabled',
      });
      expect(response.headers.etag).toBe(`"2-${user.id}"`);
      expect(await rowOf(user.id)).toEqual({
        display_name: 'Set by admin',
        roles: ['user', 'admin'],
        status: 'disabled',
        version: 2,
      });
      const read = await adminGet(`/api/v1/users/${user.id}`);
      expect(read.body).toMatchObject({ displayName: 'Set by admin', status: 'disabled' });
      expect(read.headers.etag).toBe(response.headers.etag);
    });

    it('honours If-Match: the current ETag applies, a stale one gives 412 and changes nothing', async () => {
      const user = await registerUser(service.server, { displayName: 'v1' });
      const first = await adminGet(`/api/v1/users/${user.id}`);
      const stale = first.headers.etag;
      await adminPatch(user.id, { displayName: 'v2' }, stale).expect(200);

      const response = await adminPatch(user.id, { displayName: 'v3', status: 'disabled' }, stale);
      expectProblem(response, 412, 'PRECONDITION_FAILED');
      expect(await rowOf(user.id)).toMatchObject({
        display_name: 'v2',
        status: 'active',
        version: 2,
      });
    });

    it("refuses another user's ETag in If-Match with 412", async () => {
      const user = await registerUser(service.server);
      const other = await registerUser(service.server);
      const response = await adminPatch(user.id, { displayName: 'Nope' }, `"1-${other.id}"`);
      expectProblem(response, 412, 'PRECONDITION_FAILED');
      expect(await rowOf(user.id)).toMatchObject({ version: 1 });
    });

    it.each([
      ['an unknown role', { roles: ['user', 'superuser'] }, 'roles'],
      ['no roles at all', { roles: [] }, 'roles'],
      ['a role as a bare string', { roles: 'admin' }, 'roles'],
      ['a repeated role', { roles: ['admin', 'admin'] }, 'roles'],
      ['an unknown status', { status: 'banned' }, 'status'],
      ['an email', { email: 'changed@example.com' }, 'email'],
      ['a password hash', { passwordHash: 'x' }, 'passwordHash'],
      ['a display name with a NUL', { displayName: 'a\u0000b' }, 'displayName'],
    ])('rejects %s with 400 and changes nothing', async (_label, body, field) => {
      const user = await registerUser(service.server, { displayName: 'Stable' });
      const response = await adminPatch(user.id, body);
      expectProblem(response, 400, 'VALIDATION_FAILED', [field]);
      expect(await rowOf(user.id)).toEqual({
        display_name: 'Stable',
        roles: ['user'],
        status: 'active',
        version: 1,
      });
    });

    it('answers an unknown id with 404 and a malformed one with 400', async () => {
      expectProblem(
        await adminPatch(randomUUID(), { displayName: 'Ghost' }),
        404,
        'USERS_NOT_FOUND',
      );
      expectProblem(await adminPatch('1234', { displayName: 'Ghost' }), 400, 'VALIDATION_FAILED', [
        'id',
      ]);
    });

    it('disabling a user kills their access token at once and refuses their login', async () => {
      const user = await createSignedInUser(service.server);
      expect((await getMe(user)).status).toBe(200);

      await adminPatch(user.id, { status: 'disabled' }).expect(200);

      expect((await getMe(user)).status).toBe(401);
      const refreshed = await api()
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: user.tokens.refreshToken });
      expect(refreshed.status).toBe(401);
      const relogin = await api()
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password });
      expectProblem(relogin, 403, 'AUTH_ACCOUNT_DISABLED');
    });

    it('re-enabling a disabled user lets them sign in again', async () => {
      const user = await createSignedInUser(service.server);
      await adminPatch(user.id, { status: 'disabled' }).expect(200);
      await adminPatch(user.id, { status: 'active' }).expect(200);
      const tokens = await login(service.server, user.email, user.password);
      const me = await api()
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${tokens.accessToken}`);
      expect(me.status).toBe(200);
      expect(me.body.status).toBe('active');
    });

    it('a promoted user gets the admin role on their next login and can list users', async () => {
      const user = await createSignedInUser(service.server);
      expect(claimsOf(user.tokens.accessToken).roles).toEqual(['user']);
      expect((await getMe(user)).body.roles).toEqual(['user']);

      const promoted = await adminPatch(user.id, { roles: ['user', 'admin'] });
      expect(promoted.status).toBe(200);
      expect(promoted.body.roles).toEqual(['user', 'admin']);

      const tokens = await login(service.server, user.email, user.password);
      const claims = claimsOf(tokens.accessToken);
      expect(claims.sub).toBe(user.id);
      expect([...claims.roles].sort()).toEqual(['admin', 'user']);
      const list = await api()
        .get('/api/v1/users')
        .set('Authorization', `Bearer ${tokens.accessToken}`);
      expect(list.status).toBe(200);
      expect((list.body as PageBody).data.length).toBeGreaterThan(0);
      const me = await api()
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${tokens.accessToken}`);
      expect(me.body.roles).toEqual(['user', 'admin']);
    });

    it('demoting an admin ends their sessions, so the admin role in their token dies', async () => {
      const other = await createSignedInAdmin(service);
      await api().get('/api/v1/users').set('Authorization', other.bearer).expect(200);

      await adminPatch(other.id, { roles: ['user'] }).expect(200);

      const list = await api().get('/api/v1/users').set('Authorization', other.bearer);
      expect(list.status).toBe(401);
      const tokens = await login(service.server, other.email, other.password);
      expect(claimsOf(tokens.accessToken).roles).toEqual(['user']);
      const me = await api()
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${tokens.accessToken}`);
      expect(me.body.roles).toEqual(['user']);
      const again = await api()
        .get('/api/v1/users')
        .set('Authorization', `Bearer ${tokens.accessToken}`);
      expectProblem(again, 403, 'AUTH_FORBIDDEN');
    });
  });

  describe('DELETE /users/:id (admin)', () => {
    it('deletes the user: 204, their token dies and their sessions are gone', async () => {
      const user = await createSignedInUser(service.server);
      expect(await sessionCount(user.id)).toBe(1);

      const response = await api()
        .delete(`/api/v1/users/${user.id}`)
        .set('Authorization', admin.bearer);
      expect(response.status).toBe(204);

      expect((await getMe(user)).status).toBe(401);
      expect(await sessionCount(user.id)).toBe(0);
      expect(await rowOf(user.id)).toBeUndefined();
      expectProblem(await adminGet(`/api/v1/users/${user.id}`), 404, 'USERS_NOT_FOUND');
      const relogin = await api()
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password });
      expect(relogin.status).toBe(401);
    });

    it('answers an unknown id with 404 and a malformed one with 400', async () => {
      const unknown = await api()
        .delete(`/api/v1/users/${randomUUID()}`)
        .set('Authorization', admin.bearer);
      expectProblem(unknown, 404, 'USERS_NOT_FOUND');
      const malformed = await api()
        .delete('/api/v1/users/not-a-uuid')
        .set('Authorization', admin.bearer);
      expectProblem(malformed, 400, 'VALIDATION_FAILED', ['id']);
    });

    it('refuses a stale If-Match with 412 and keeps the user', async () => {
      const user = await registerUser(service.server);
      await adminPatch(user.id, { displayName: 'Bumped' }).expect(200);
      const response = await api()
        .delete(`/api/v1/users/${user.id}`)
        .set('Authorization', admin.bearer)
        .set('If-Match', `"1-${user.id}"`);
      expectProblem(response, 412, 'PRECONDITION_FAILED');
      expect(await rowOf(user.id)).toMatchObject({ display_name: 'Bumped', version: 2 });
    });
  });

  describe('object-level access (IDOR)', () => {
    it('a normal user cannot read, change or delete another user, and nothing changes', async () => {
      const attacker = await createSignedInUser(service.server);
      const victim = await createSignedInUser(service.server, { displayName: 'Victim' });
      const path = `/api/v1/users/${victim.id}`;

      const read = await api().get(path).set('Authorization', attacker.bearer);
      expectProblem(read, 403, 'AUTH_FORBIDDEN');
      expect(read.text).not.toContain(victim.email);

      const patched = await api()
        .patch(path)
        .set('Authorization', attacker.bearer)
        .send({ displayName: 'Owned', roles: ['user', 'admin'], status: 'disabled' });
      expectProblem(patched, 403, 'AUTH_FORBIDDEN');

      const promoted = await api()
        .patch(`/api/v1/users/${attacker.id}`)
        .set('Authorization', attacker.bearer)
        .send({ roles: ['user', 'admin'] });
      expectProblem(promoted, 403, 'AUTH_FORBIDDEN');

      const deleted = await api().delete(path).set('Authorization', attacker.bearer);
      expectProblem(deleted, 403, 'AUTH_FORBIDDEN');

      expect(await rowOf(victim.id)).toEqual({
        display_name: 'Victim',
        roles: ['user'],
        status: 'active',
        version: 1,
      });
      expect(await rowOf(attacker.id)).toMatchObject({ roles: ['user'], version: 1 });
      expect((await getMe(victim)).status).toBe(200);
    });
  });
});
