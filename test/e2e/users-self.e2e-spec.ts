import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { createSignedInUser, login, type SignedInUser } from '../factories/user.factory.js';
import { createSignedInAdmin } from '../support/admin.js';
import { useTestApp } from '../support/test-app.js';
import { expectProblem, USER_KEYS, usersApi } from '../support/users-api.js';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('users', () => {
  const service = useTestApp();
  let admin: SignedInUser;

  beforeAll(async () => {
    admin = await createSignedInAdmin(service);
  });

  const { api, rowOf, storedDisplayName, sessionCount, getMe, etagOfMe, adminGet } = usersApi(
    service,
    () => admin,
  );

  describe('GET /users/me', () => {
    it('returns exactly the public fields of the signed-in user, never a hash or version', async () => {
      const user = await createSignedInUser(service.server, { displayName: 'Ada Lovelace' });
      const response = await getMe(user);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(response.body as object).sort()).toEqual(USER_KEYS);
      expect(response.body).toEqual({
        id: user.id,
        email: user.email,
        displayName: 'Ada Lovelace',
        roles: ['user'],
        status: 'active',
        emailVerified: false,
        createdAt: expect.stringMatching(ISO_DATE),
        updatedAt: expect.stringMatching(ISO_DATE),
      });
      expect(response.text).not.toMatch(/argon2|password|hash|version/i);
    });

    it('carries a strong ETag of version and id and forbids storing the response', async () => {
      const user = await createSignedInUser(service.server);
      const response = await getMe(user);
      expect(response.status).toBe(200);
      expect(response.headers.etag).toBe(`"1-${user.id}"`);
      expect(response.headers['cache-control']).toBe('no-store');
    });

    it('answers a repeated read with the same body, ETag and Cache-Control', async () => {
      const user = await createSignedInUser(service.server);
      const first = await getMe(user);
      const second = await getMe(user);
      expect(second.status).toBe(200);
      expect(second.text).toBe(first.text);
      expect(second.headers.etag).toBe(`"1-${user.id}"`);
      expect(second.headers['cache-control']).toBe('no-store');
      expect(second.headers['content-type']).toMatch(/^application\/json/);
    });

    it("never answers one user's read with another user's profile", async () => {
      const alice = await createSignedInUser(service.server, { displayName: 'Alice' });
      const bob = await createSignedInUser(service.server, { displayName: 'Bob' });
      for (let round = 0; round < 2; round += 1) {
        expect((await getMe(alice)).body).toMatchObject({ id: alice.id, displayName: 'Alice' });
        expect((await getMe(bob)).body).toMatchObject({ id: bob.id, displayName: 'Bob' });
      }
    });

    it('answers a matching If-None-Match with 304 and no body', async () => {
      const user = await createSignedInUser(service.server);
      const etag = await etagOfMe(user);
      const response = await api()
        .get('/api/v1/users/me')
        .set('Authorization', user.bearer)
        .set('If-None-Match', etag);
      expect(response.status).toBe(304);
      expect(response.text).toBeFalsy();
      expect(response.headers.etag).toBe(etag);
    });

    it('answers an outdated If-None-Match with the current user', async () => {
      const user = await createSignedInUser(service.server);
      const stale = await etagOfMe(user);
      await api()
        .patch('/api/v1/users/me')
        .set('Authorization', user.bearer)
        .send({ displayName: 'Renamed' })
        .expect(200);
      const response = await api()
        .get('/api/v1/users/me')
        .set('Authorization', user.bearer)
        .set('If-None-Match', stale);
      expect(response.status).toBe(200);
      expect(response.body.displayName).toBe('Renamed');
      expect(response.headers.etag).toBe(`"2-${user.id}"`);
    });

    it('refuses a request without a bearer token', async () => {
      const response = await api().get('/api/v1/users/me');
      expectProblem(response, 401, 'AUTH_TOKEN_MISSING');
    });
  });

  describe('PATCH /users/me', () => {
    const patchMe = (user: SignedInUser, body: unknown, ifMatch?: string) => {
      const call = api().patch('/api/v1/users/me').set('Authorization', user.bearer);
      if (ifMatch !== undefined) call.set('If-Match', ifMatch);
      return call.send(body as object);
    };

    it('updates the display name, returns the user with a new ETag, and GET sees it', async () => {
      const user = await createSignedInUser(service.server);
      const before = await etagOfMe(user);
      const response = await patchMe(user, { displayName: 'Grace Hopper' });
      expect(response.status).toBe(200);
      expect(Object.keys(response.body as object).sort()).toEqual(USER_KEYS);
      expect(response.body).toMatchObject({ id: user.id, displayName: 'Grace Hopper' });
      expect(response.headers.etag).toBe(`"2-${user.id}"`);
      expect(response.headers.etag).not.toBe(before);

      const me = await getMe(user);
      expect(me.body.displayName).toBe('Grace Hopper');
      expect(me.headers.etag).toBe(response.headers.etag);
    });

    it('applies the change when If-Match carries the current ETag', async () => {
      const user = await createSignedInUser(service.server);
      const etag = await etagOfMe(user);
      const response = await patchMe(user, { displayName: 'Matched' }, etag);
      expect(response.status).toBe(200);
      expect(response.body.displayName).toBe('Matched');
      expect(await storedDisplayName(user.id)).toBe('Matched');
    });

    it('refuses a stale If-Match with 412 PRECONDITION_FAILED and changes nothing', async () => {
      const user = await createSignedInUser(service.server, { displayName: 'Original' });
      const stale = await etagOfMe(user);
      await patchMe(user, { displayName: 'First writer' }, stale).expect(200);

      const response = await patchMe(user, { displayName: 'Second writer' }, stale);
      expectProblem(response, 412, 'PRECONDITION_FAILED');
      expect(await rowOf(user.id)).toMatchObject({ display_name: 'First writer', version: 2 });
      const me = await getMe(user);
      expect(me.body.displayName).toBe('First writer');
    });

    it.each([
      ['a weak tag', (id: string) => `W/"1-${id}"`],
      ["another user's tag", () => `"1-${randomUUID()}"`],
      ['garbage', () => 'not-an-etag'],
      ['a version beyond the integer column', (id: string) => `"9999999999-${id}"`],
    ])('refuses %s in If-Match with 412', async (_label, ifMatch) => {
      const user = await createSignedInUser(service.server, { displayName: 'Untouched' });
      const response = await patchMe(user, { displayName: 'Changed' }, ifMatch(user.id));
      expectProblem(response, 412, 'PRECONDITION_FAILED');
      expect(await rowOf(user.id)).toMatchObject({ display_name: 'Untouched', version: 1 });
    });

    it('applies the change with If-Match: *', async () => {
      const user = await createSignedInUser(service.server);
      const response = await patchMe(user, { displayName: 'Anything goes' }, '*');
      expect(response.status).toBe(200);
      expect(response.body.displayName).toBe('Anything goes');
    });

    it.each([
      ['roles', { roles: ['user', 'admin'] }],
      ['status', { status: 'disabled' }],
      ['email', { email: 'someone-else@example.com' }],
      ['id', { id: randomUUID() }],
      ['passwordHash', { passwordHash: 'x' }],
      ['version', { version: 99 }],
    ])(
      'rejects %s with 400 VALIDATION_FAILED (no mass assignment) and changes nothing',
      async (field, extra) => {
        const user = await createSignedInUser(service.server, { displayName: 'Before' });
        const response = await patchMe(user, { displayName: 'After', ...extra });
        expectProblem(response, 400, 'VALIDATION_FAILED', [field]);
        expect(await rowOf(user.id)).toEqual({
          display_name: 'Before',
          roles: ['user'],
          status: 'active',
          version: 1,
        });
        const me = await getMe(user);
        expect(me.body).toMatchObject({ email: user.email, roles: ['user'], status: 'active' });
      },
    );

    it('clears the display name with null', async () => {
      const user = await createSignedInUser(service.server, { displayName: 'To be cleared' });
      const response = await patchMe(user, { displayName: null });
      expect(response.status).toBe(200);
      expect(response.body.displayName).toBeNull();
      expect(await storedDisplayName(user.id)).toBeNull();
      expect((await getMe(user)).body.displayName).toBeNull();
    });

    it.each([
      ['an empty string', ''],
      ['101 characters', 'x'.repeat(101)],
      ['101 emoji', '😀'.repeat(101)],
      ['a number', 42],
      ['an object', { first: 'Ada' }],
      ['a NUL', 'Ada\u0000Lovelace'],
      ['a newline', 'Ada\nLovelace'],
      ['a tab', 'Ada\tLovelace'],
      ['an escape sequence', '\u001b[31mred'],
      ['a DEL', 'Ada\u007f'],
      ['a C1 control', 'Ada\u0085'],
      ['a lone surrogate', 'Ada\ud800'],
    ])('rejects a display name that is %s and keeps the old one', async (_label, displayName) => {
      const user = await createSignedInUser(service.server, { displayName: 'Kept' });
      const response = await patchMe(user, { displayName });
      expectProblem(response, 400, 'VALIDATION_FAILED', ['displayName']);
      expect(await rowOf(user.id)).toMatchObject({ display_name: 'Kept', version: 1 });
    });

    it.each([
      ['exactly 100 characters', 'y'.repeat(100)],
      ['SQL-looking text', "'); DROP TABLE users; --"],
      ['a script tag', '<script>alert(1)</script>'],
      ['emoji with ZWJ sequences and variation selectors', '👩‍💻🏳️‍🌈'],
      ['Arabic right-to-left text', 'مرحبا بالعالم'],
      ['Hebrew right-to-left text', 'שלום'],
      ['100 emoji', '😀'.repeat(100)],
      ['a decomposed accent (not normalized)', 'Jose\u0301'],
      ['full-width letters (not NFKC-folded)', 'ＡＢＣ'],
      ['surrounding spaces (not trimmed)', '  padded  '],
      ['quotes and backslashes', 'say "hi" \\ there'],
    ])('stores and returns %s exactly', async (_label, displayName) => {
      const user = await createSignedInUser(service.server);
      const response = await patchMe(user, { displayName });
      expect(response.status).toBe(200);
      expect(response.body.displayName).toBe(displayName);
      expect(response.text).toContain(`"displayName":${JSON.stringify(displayName)}`);

      const me = await getMe(user);
      expect(Buffer.from(me.body.displayName as string, 'utf8')).toEqual(
        Buffer.from(displayName, 'utf8'),
      );
      const stored = await storedDisplayName(user.id);
      expect(Buffer.from(stored ?? '', 'utf8')).toEqual(Buffer.from(displayName, 'utf8'));
      expect(await rowOf(user.id)).toMatchObject({ version: 2 });
    });

    it('accepts an empty body without changing anything', async () => {
      const user = await createSignedInUser(service.server, { displayName: 'Same' });
      const response = await patchMe(user, {});
      expect(response.status).toBe(200);
      expect(response.body.displayName).toBe('Same');
      expect(await rowOf(user.id)).toMatchObject({ display_name: 'Same', version: 1 });
    });
  });

  describe('DELETE /users/me', () => {
    it('deletes the account: tokens die at once, sessions are gone, login fails, the email is free', async () => {
      const user = await createSignedInUser(service.server);
      const second = await login(service.server, user.email, user.password);
      expect(await sessionCount(user.id)).toBe(2);

      const response = await api()
        .delete('/api/v1/users/me')
        .set('Authorization', user.bearer)
        .send({ password: user.password });
      expect(response.status).toBe(204);
      expect(response.text).toBeFalsy();

      expect((await getMe(user)).status).toBe(401);
      const other = await api()
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${second.accessToken}`);
      expect(other.status).toBe(401);
      const refreshed = await api()
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: second.refreshToken });
      expect(refreshed.status).toBe(401);

      const relogin = await api()
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password });
      expectProblem(relogin, 401, 'AUTH_INVALID_CREDENTIALS');

      expect(await sessionCount(user.id)).toBe(0);
      expect(await rowOf(user.id)).toBeUndefined();
      expect((await adminGet(`/api/v1/users/${user.id}`)).status).toBe(404);

      const again = await api()
        .post('/api/v1/auth/register')
        .send({ email: user.email, password: user.password });
      expect(again.status).toBe(201);
      expect(again.body.id).not.toBe(user.id);
      expect(again.body.roles).toEqual(['user']);
    });

    it('refuses a wrong password with the problem POST /auth/password gives, and keeps everything', async () => {
      const user = await createSignedInUser(service.server);
      const wrongChange = await api()
        .post('/api/v1/auth/password')
        .set('Authorization', user.bearer)
        .send({ currentPassword: `${user.password}-x`, newPassword: `${user.password}-new` });

      const response = await api()
        .delete('/api/v1/users/me')
        .set('Authorization', user.bearer)
        .send({ password: `${user.password}-x` });

      expectProblem(response, 400, 'AUTH_PASSWORD_INCORRECT', ['password']);
      expectProblem(wrongChange, 400, 'AUTH_PASSWORD_INCORRECT', ['currentPassword']);
      expect({ type: response.body.type, title: response.body.title }).toEqual({
        type: wrongChange.body.type,
        title: wrongChange.body.title,
      });
      expect(await rowOf(user.id)).toBeDefined();
      expect(await sessionCount(user.id)).toBe(1);
      expect((await getMe(user)).status).toBe(200);
    });

    it.each([
      ['no body', undefined],
      ['an empty object', {}],
      ['an empty password', { password: '' }],
      ['a non-string password', { password: 12345678901234 }],
    ])('refuses %s with 400 VALIDATION_FAILED naming password', async (_case, body) => {
      const user = await createSignedInUser(service.server);
      const call = api().delete('/api/v1/users/me').set('Authorization', user.bearer);
      const response = await (body === undefined ? call : call.send(body));
      expectProblem(response, 400, 'VALIDATION_FAILED', ['password']);
      expect(await rowOf(user.id)).toBeDefined();
      expect((await getMe(user)).status).toBe(200);
    });

    it('refuses a password sent as anything but JSON with 415', async () => {
      const user = await createSignedInUser(service.server);
      const response = await api()
        .delete('/api/v1/users/me')
        .set('Authorization', user.bearer)
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .send(`password=${encodeURIComponent(user.password)}`);
      expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(await rowOf(user.id)).toBeDefined();
    });

    it('refuses a stale If-Match with 412 and keeps the account', async () => {
      const user = await createSignedInUser(service.server);
      const stale = await etagOfMe(user);
      await api()
        .patch('/api/v1/users/me')
        .set('Authorization', user.bearer)
        .send({ displayName: 'Moved on' })
        .expect(200);
      const response = await api()
        .delete('/api/v1/users/me')
        .set('Authorization', user.bearer)
        .set('If-Match', stale)
        .send({ password: user.password });
      expectProblem(response, 412, 'PRECONDITION_FAILED');
      expect((await getMe(user)).status).toBe(200);
      expect(await sessionCount(user.id)).toBe(1);
    });
  });
});
