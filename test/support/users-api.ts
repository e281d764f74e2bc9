import { expect } from '@jest/globals';
import request from 'supertest';
import type { SignedInUser } from '../factories/user.factory.js';
import { PROBLEM_JSON } from './problem.js';
import type { TestAppHandle } from './test-app.js';

export const USER_KEYS = [
  'createdAt',
  'displayName',
  'email',
  'emailVerified',
  'id',
  'roles',
  'status',
  'updatedAt',
];

export interface UserBody {
  id: string;
  email: string;
  displayName: string | null;
  roles: string[];
  status: string;
  createdAt: string;
  updatedAt: string;
}

export interface PageBody {
  data: UserBody[];
  nextCursor: string | null;
}

export interface UserRow {
  display_name: string | null;
  roles: string[];
  status: string;
  version: number;
}

/**
 * The users suites' problem check: status, code and media type, and with `fields` exactly the
 * fields named in `errors`.
 */
export function expectProblem(
  response: request.Response,
  status: number,
  code: string,
  fields?: string[],
): void {
  expect({ status: response.status, code: (response.body as { code?: string }).code }).toEqual({
    status,
    code,
  });
  expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
  if (fields) {
    const errors = (response.body as { errors?: Array<{ field: string }> }).errors ?? [];
    expect([...new Set(errors.map((error) => error.field))].sort()).toEqual([...fields].sort());
  }
}

/** Requests and database reads of the users suites, against `service` and signed in as `admin`. */
export function usersApi(service: TestAppHandle, admin: () => SignedInUser) {
  const api = () => request(service.server);

  async function rowOf(id: string): Promise<UserRow | undefined> {
    const rows = await service.environment.database.query<UserRow>(
      'SELECT display_name, roles, status, version FROM users WHERE id = $1',
      [id],
    );
    return rows[0];
  }

  async function storedDisplayName(id: string): Promise<string | null | undefined> {
    const rows = await service.environment.database.query<{ display_name: string | null }>(
      'SELECT display_name FROM users WHERE id = $1',
      [id],
    );
    return rows[0]?.display_name;
  }

  async function sessionCount(userId: string): Promise<number> {
    const rows = await service.environment.database.query<{ count: string }>(
      'SELECT count(*) FROM sessions WHERE user_id = $1',
      [userId],
    );
    return Number(rows[0].count);
  }

  function getMe(user: SignedInUser) {
    return api().get('/api/v1/users/me').set('Authorization', user.bearer);
  }

  async function etagOfMe(user: SignedInUser): Promise<string> {
    const response = await getMe(user);
    expect(response.status).toBe(200);
    return response.headers.etag;
  }

  function adminGet(path: string, query: Record<string, string | number> = {}) {
    return api().get(path).query(query).set('Authorization', admin().bearer);
  }

  function adminPatch(id: string, body: object, ifMatch?: string) {
    const call = api().patch(`/api/v1/users/${id}`).set('Authorization', admin().bearer);
    if (ifMatch !== undefined) call.set('If-Match', ifMatch);
    return call.send(body);
  }

  /** Every page of GET /users with `query`, following nextCursor. */
  async function walkPages(
    query: Record<string, string | number>,
  ): Promise<{ pages: PageBody[]; users: UserBody[] }> {
    const pages: PageBody[] = [];
    let cursor: string | null = null;
    do {
      const response = await adminGet('/api/v1/users', cursor ? { ...query, cursor } : query);
      expect(response.status).toBe(200);
      const page = response.body as PageBody;
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor !== null && pages.length < 50);
    return { pages, users: pages.flatMap((page) => page.data) };
  }

  return {
    api,
    rowOf,
    storedDisplayName,
    sessionCount,
    getMe,
    etagOfMe,
    adminGet,
    adminPatch,
    walkPages,
  };
}
