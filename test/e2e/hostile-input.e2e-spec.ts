import { beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { buildUser, createSignedInUser, type SignedInUser } from '../factories/user.factory.js';
import { createSignedInAdmin } from '../support/admin.js';
import { expectProblem } from '../support/problem.js';
import { useTestApp } from '../support/test-app.js';

const LEVELS = 3_000;
/** `{"a":{"a":...{}...}}`, LEVELS deep: about 18 KB, well under BODY_LIMIT. */
const deeplyNested = `${'{"a":'.repeat(LEVELS)}{}${'}'.repeat(LEVELS)}`;
/** The UTF-8 bytes of U+D800, percent-encoded: what a lone surrogate looks like in a URL. */
const ENCODED_SURROGATE = '%ED%A0%80';

describe('hostile input', () => {
  const service = useTestApp();
  const api = () => request(service.server);
  let user: SignedInUser;
  let admin: SignedInUser;

  beforeAll(async () => {
    user = await createSignedInUser(service.server);
    admin = await createSignedInAdmin(service);
  });

  const postJson = (path: string, json: string, bearer?: string) => {
    const call = api().post(path).set('Content-Type', 'application/json');
    if (bearer) call.set('Authorization', bearer);
    return call.send(json);
  };

  describe(`a body nested ${LEVELS} levels deep`, () => {
    it('is a 400 REQUEST_BODY_TOO_DEEP on login (public)', async () => {
      const response = await postJson(
        '/api/v1/auth/login',
        `{"email":"a@example.com","password":${deeplyNested}}`,
      );
      expectProblem(response, 400, 'REQUEST_BODY_TOO_DEEP');
    });

    it('is a 400 REQUEST_BODY_TOO_DEEP on an authenticated route, with or without a token', async () => {
      const body = `{"displayName":${deeplyNested}}`;
      const withToken = await api()
        .patch('/api/v1/users/me')
        .set('Authorization', user.bearer)
        .set('Content-Type', 'application/json')
        .send(body);
      expectProblem(withToken, 400, 'REQUEST_BODY_TOO_DEEP');

      const withoutToken = await api()
        .patch('/api/v1/users/me')
        .set('Content-Type', 'application/json')
        .send(body);
      expectProblem(withoutToken, 400, 'REQUEST_BODY_TOO_DEEP');
    });

    it('is a 400 as a bare array, on a route that takes no body', async () => {
      const response = await postJson(
        '/api/v1/auth/logout',
        `${'['.repeat(LEVELS)}${']'.repeat(LEVELS)}`,
        user.bearer,
      );
      expectProblem(response, 400, 'REQUEST_BODY_TOO_DEEP');
    });
  });

  it.each([{ status: null }, { roles: null }])(
    'refuses %o on PATCH /users/:id with 400 VALIDATION_FAILED, not a NOT NULL violation',
    async (body) => {
      const response = await api()
        .patch(`/api/v1/users/${user.id}`)
        .set('Authorization', admin.bearer)
        .send(body);
      expectProblem(response, 400, 'VALIDATION_FAILED');
      const fields = (response.body.errors as Array<{ field: string }>).map((error) => error.field);
      expect([...new Set(fields)]).toEqual(Object.keys(body));
    },
  );

  describe('text that is not well-formed Unicode', () => {
    it('is a 400 VALIDATION_FAILED naming email when an email holds a lone surrogate', async () => {
      const input = buildUser();
      const response = await postJson(
        '/api/v1/auth/register',
        `{"email":"\\ud800@x.test","password":"${input.password}"}`,
      );
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors).toEqual([{ field: 'email', message: expect.any(String) }]);
    });

    it('is a 400 wherever it sits in a body: a nested value or a key', async () => {
      const nested = await api()
        .patch(`/api/v1/users/${user.id}`)
        .set('Authorization', admin.bearer)
        .set('Content-Type', 'application/json')
        .send('{"roles":["user","\\udfff"]}');
      expectProblem(nested, 400, 'VALIDATION_FAILED');
      expect(nested.body.errors).toEqual([{ field: 'roles[1]', message: expect.any(String) }]);

      const key = await postJson('/api/v1/auth/login', '{"\\ud800":1}');
      expectProblem(key, 400, 'VALIDATION_FAILED');
    });

    it('is a 400 in a path parameter', async () => {
      const userPath = await api()
        .get(`/api/v1/users/${ENCODED_SURROGATE}`)
        .set('Authorization', admin.bearer);
      expectProblem(userPath, 400, 'MALFORMED_URL');

      const sessionPath = await api()
        .delete(`/api/v1/auth/sessions/x${ENCODED_SURROGATE}`)
        .set('Authorization', user.bearer);
      expectProblem(sessionPath, 400, 'MALFORMED_URL');
    });

    it('is a 400 in a query, also on routes that read no query and before authentication', async () => {
      const list = await api()
        .get(`/api/v1/users?email=${ENCODED_SURROGATE}`)
        .set('Authorization', admin.bearer);
      expectProblem(list, 400, 'MALFORMED_URL');

      const me = await api().get(`/api/v1/users/me?junk=%FF`);
      expectProblem(me, 400, 'MALFORMED_URL');
    });

    it('is a 400, not a database error, when a query holds NUL', async () => {
      const response = await api()
        .get('/api/v1/users?email=a%00b')
        .set('Authorization', admin.bearer);
      expectProblem(response, 400, 'VALIDATION_FAILED');
    });
  });
});
