import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { createUserAuthClient } from '../../clients/typescript/index.js';
import { buildUser } from '../factories/user.factory.js';
import type { BuiltService } from '../support/built-service.js';
import { useTestEnvironment } from '../support/test-app.js';

const COMMITTED_DOCUMENT = path.resolve(
  import.meta.dirname,
  '../../clients/typescript/openapi.json',
);

/**
 * The data of an openapi-fetch result that must have the given status; otherwise the error
 * body the service sent, so a failure says why.
 */
function expectStatus<T>(
  result: { data?: T; error?: unknown; response: Response },
  status: number,
): T {
  if (result.response.status !== status || result.data === undefined) {
    throw new Error(
      `expected ${status}, got ${result.response.status}: ${JSON.stringify(result.error)}`,
    );
  }
  return result.data;
}

/** JSON pointers where two documents differ (object key order aside). */
function differingPaths(left: unknown, right: unknown, at = ''): string[] {
  if (isDeepStrictEqual(left, right)) return [];
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null) {
    return [at || '/'];
  }
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  return [...keys].flatMap((key) =>
    differingPaths(
      (left as Record<string, unknown>)[key],
      (right as Record<string, unknown>)[key],
      `${at}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`,
    ),
  );
}

// The journey drives the built service (whose document the client was generated from) only
// through the generated client: a type error here means the document does not say what the
// service does.
describe('the generated TypeScript client (clients/typescript) against the built service', () => {
  const handle = useTestEnvironment();
  const admin = buildUser();
  let service: BuiltService;

  beforeAll(async () => {
    service = await handle.environment.startBuiltService({
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
    });
  });

  it('was generated from the document the service serves (else: run npm run client:generate)', async () => {
    const served: unknown = await (await fetch(service.url('/docs/openapi.json'))).json();
    const committed: unknown = JSON.parse(await readFile(COMMITTED_DOCUMENT, 'utf8'));
    const differences = differingPaths(served, committed);
    expect(
      differences.length === 0
        ? 'up to date'
        : `clients/typescript/openapi.json differs from /docs/openapi.json at ${differences.slice(0, 10).join(', ')}: run npm run client:generate`,
    ).toBe('up to date');
  });

  it('registers, signs in, reads and updates with If-Match, refreshes, lists sessions, signs out; an admin lists users', async () => {
    const user = buildUser();
    let accessToken: string | undefined;
    const client = createUserAuthClient(service.url(''), { accessToken: () => accessToken });

    const registered = expectStatus(
      await client.POST('/api/v1/auth/register', {
        body: { email: user.email, password: user.password, displayName: user.displayName },
      }),
      201,
    );
    expect(registered).toMatchObject({
      email: user.email,
      displayName: user.displayName,
      roles: ['user'],
      status: 'active',
      emailVerified: false,
    });

    const signedIn = expectStatus(
      await client.POST('/api/v1/auth/login', {
        body: { email: user.email, password: user.password },
      }),
      200,
    );
    expect(signedIn.tokenType).toBe('Bearer');
    accessToken = signedIn.accessToken;

    const me = await client.GET('/api/v1/users/me');
    expect(expectStatus(me, 200).id).toBe(registered.id);
    const etag = me.response.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);

    const updated = expectStatus(
      await client.PATCH('/api/v1/users/me', {
        params: { header: { 'if-match': etag ?? '' } },
        body: { displayName: 'Renamed through the client' },
      }),
      200,
    );
    expect(updated.displayName).toBe('Renamed through the client');
    const stale = await client.PATCH('/api/v1/users/me', {
      params: { header: { 'if-match': etag ?? '' } },
      body: { displayName: 'Lost update' },
    });
    expect(stale.response.status).toBe(412);
    expect(stale.error?.code).toBe('PRECONDITION_FAILED');

    const refreshed = expectStatus(
      await client.POST('/api/v1/auth/refresh', {
        body: { refreshToken: signedIn.refreshToken },
      }),
      200,
    );
    expect(refreshed.refreshToken).not.toBe(signedIn.refreshToken);
    accessToken = refreshed.accessToken;

    const sessions = expectStatus(await client.GET('/api/v1/auth/sessions'), 200);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]?.current).toBe(true);

    const signedOut = await client.POST('/api/v1/auth/logout');
    expect(signedOut.response.status).toBe(204);
    const afterLogout = await client.GET('/api/v1/users/me');
    expect(afterLogout.response.status).toBe(401);
    expect(afterLogout.error?.code).toMatch(/^AUTH_/);

    const adminClient = createUserAuthClient(service.url(''));
    const adminTokens = expectStatus(
      await adminClient.POST('/api/v1/auth/login', {
        body: { email: admin.email, password: admin.password },
      }),
      200,
    );
    adminClient.use({
      onRequest: ({ request }) => {
        request.headers.set('authorization', `Bearer ${adminTokens.accessToken}`);
        return request;
      },
    });
    const page = expectStatus(
      await adminClient.GET('/api/v1/users', { params: { query: { email: user.email } } }),
      200,
    );
    expect(page.data.map((listed) => listed.id)).toEqual([registered.id]);
    expect(page.data[0]?.displayName).toBe('Renamed through the client');
    expect(page.nextCursor).toBeNull();

    accessToken = expectStatus(
      await client.POST('/api/v1/auth/login', {
        body: { email: user.email, password: user.password },
      }),
      200,
    ).accessToken;
    const refused = await client.GET('/api/v1/users', { params: { query: { limit: 5 } } });
    expect(refused.response.status).toBe(403);
    expect(refused.error?.code).toBe('AUTH_FORBIDDEN');
  });
});
