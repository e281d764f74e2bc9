import { beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import request from 'supertest';
import { createSignedInUser, registerUser, type SignedInUser } from '../factories/user.factory.js';
import { createSignedInAdmin } from '../support/admin.js';
import { PROBLEM_JSON } from '../support/problem.js';
import { useTestApp } from '../support/test-app.js';

// Enough to meet every kind of value below on every field several times; fast-check prints the
// seed and the shrunk counterexample when a run fails.
const RUNS_PER_ROUTE = 200;

const loneSurrogate = fc
  .integer({ min: 0xd800, max: 0xdfff })
  .map((unit) => String.fromCharCode(unit));
const awkwardCharacter = fc.oneof(
  loneSurrogate,
  fc.constantFrom('\u0000', '\u001f', '\u007f', '\u202e', '\u200b', '\ufeff', '\ufffd', '\uffff'),
  fc.constantFrom('\u{1F600}', '\u{10FFFF}', '\u0130', '\u00df', '\ufb03', '\u212a', '\u0345'),
  fc.constantFrom('%', '\\', '"', "'", '<', '@', '.', ' ', '\n'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const awkwardString = fc.string({
  unit: fc.oneof({ weight: 3, arbitrary: awkwardCharacter }, fc.constantFrom('a', 'b', '1')),
  maxLength: 40,
});
/** Far beyond every field's limit; at most 12,000 characters so that a body stays under BODY_LIMIT. */
const hugeString = fc.oneof(
  fc.integer({ min: 129, max: 12_000 }).map((length) => 'x'.repeat(length)),
  fc.integer({ min: 16, max: 400 }).map((length) => '9'.repeat(length)),
  fc.constantFrom('1e309', '-1e309', 'NaN', 'Infinity', '-0', '0x1f', '1_000', ' 7 ', '5e-324'),
);
const emailLike = fc.oneof(
  fc.emailAddress(),
  fc.tuple(fc.emailAddress(), awkwardCharacter, fc.nat()).map(([email, character, at]) => {
    const index = at % (email.length + 1);
    return `${email.slice(0, index)}${character}${email.slice(index)}`;
  }),
  fc.tuple(awkwardString, awkwardString).map(([local, domain]) => `${local}@${domain}.test`),
);

/** A JSON text for any value: a string, a wrong type, or nesting 1 to 3,000 levels deep. */
const anyJson: fc.Arbitrary<string> = fc.oneof(
  awkwardString.map((value) => JSON.stringify(value)),
  hugeString.map((value) => JSON.stringify(value)),
  fc
    .oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(1e308))
    .map((value) => JSON.stringify(value)),
  fc.constantFrom('1e400', '-0', '123456789012345678901234567890', '[]', '{}', '[null]'),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc
    .tuple(fc.oneof(fc.integer({ min: 2, max: 40 }), fc.constant(3_000)), fc.boolean())
    .map(([levels, isArray]) =>
      isArray
        ? `${'['.repeat(levels)}${']'.repeat(levels)}`
        : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`,
    ),
);

/** A field that is mostly plausible for its DTO, often hostile, sometimes absent. */
function field(plausible: fc.Arbitrary<unknown>) {
  return fc.option(
    fc.oneof(
      plausible.map((value) => JSON.stringify(value)),
      { weight: 2, arbitrary: anyJson },
    ),
    { nil: undefined, freq: 6 },
  );
}

/**
 * A body of a route's shape (its fields, plus at times an unknown or awkward key), or now and then
 * any JSON text at all.
 */
function bodyOf(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<string> {
  const members = fc.record(
    Object.fromEntries(Object.entries(fields).map(([name, plausible]) => [name, field(plausible)])),
  );
  const extra = fc.option(fc.tuple(fc.oneof(awkwardString, fc.constant('__proto__')), anyJson), {
    nil: undefined,
    freq: 4,
  });
  const object = fc.tuple(members, extra).map(([values, extraMember]) => {
    const entries = Object.entries(values).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    );
    if (extraMember) entries.push([extraMember[0], extraMember[1]]);
    return `{${entries.map(([name, json]) => `${JSON.stringify(name)}:${json}`).join(',')}}`;
  });
  return fc.oneof({ weight: 9, arbitrary: object }, anyJson);
}

/** Percent-encodes any string, a lone surrogate as the UTF-8-style bytes of its code unit. */
function percentEncode(value: string): string {
  let encoded = '';
  for (const character of value) {
    encoded += character.isWellFormed()
      ? encodeURIComponent(character)
      : [
          0xe0 | (character.charCodeAt(0) >> 12),
          0x80 | ((character.charCodeAt(0) >> 6) & 0x3f),
          0x80 | (character.charCodeAt(0) & 0x3f),
        ]
          .map((byte) => `%${byte.toString(16).toUpperCase()}`)
          .join('');
  }
  return encoded;
}

const queryValue = fc.oneof(
  fc.constantFrom('1', '20', '100', 'user', 'admin', 'active', 'disabled', 'ada@', ''),
  awkwardString.map(percentEncode),
  // Up to 2,000: Node itself answers a request line over 16 KiB (431, before the service runs).
  fc.integer({ min: 129, max: 2_000 }).map((length) => 'x'.repeat(length)),
  fc.integer({ min: 16, max: 400 }).map((length) => '9'.repeat(length)),
  fc.constantFrom('%', '%FF', '%zz', '%ED%A0%80', '%00', '%C0%AF', '+', '%2B'),
);
const queryString = fc
  .array(
    fc.tuple(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom('limit', 'cursor', 'email', 'role', 'status') },
        fc.constantFrom('limit[]', 'email[a]', '__proto__', 'junk'),
        awkwardString.map(percentEncode),
      ),
      queryValue,
    ),
    { maxLength: 6 },
  )
  .map((pairs) => pairs.map(([name, value]) => `${name}=${value}`).join('&'));

// Generous: a failure shrinks its input request by request before fast-check reports it.
const PROPERTY_TIMEOUT_MS = 180_000;

describe('no input makes a 5xx (property test over every route that reads a body or query)', () => {
  const service = useTestApp();
  const api = () => request(service.server);
  let user: SignedInUser;
  let admin: SignedInUser;
  let targetId: string;

  beforeAll(async () => {
    user = await createSignedInUser(service.server);
    admin = await createSignedInAdmin(service);
    targetId = (await registerUser(service.server)).id;
  });

  /** Below 500, and an error is problem+json (fast-check reports the input that broke it). */
  function expectClientAnswer(response: request.Response): void {
    if (response.status >= 500) {
      throw new Error(`answered ${response.status}: ${response.text.slice(0, 300)}`);
    }
    expect(response.status < 400 || PROBLEM_JSON.test(response.headers['content-type'])).toBe(true);
  }

  async function checkBodies(
    method: 'post' | 'patch' | 'delete',
    path: () => fc.Arbitrary<string>,
    body: fc.Arbitrary<string>,
    bearer?: () => string,
  ): Promise<void> {
    await fc.assert(
      fc.asyncProperty(path(), body, async (target, json) => {
        const call = api()[method](target).set('Content-Type', 'application/json');
        if (bearer) call.set('Authorization', bearer());
        expectClientAnswer(await call.send(json));
      }),
      { numRuns: RUNS_PER_ROUTE },
    );
  }

  const fixed = (path: string) => () => fc.constant(path);
  const password = fc.string({ minLength: 1, maxLength: 40 });
  const displayName = fc.oneof(fc.string({ maxLength: 100 }), fc.constant(null));

  it(
    'POST /auth/register answers every body below 500',
    async () => {
      await checkBodies(
        'post',
        fixed('/api/v1/auth/register'),
        bodyOf({ email: emailLike, password, displayName }),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'POST /auth/login answers every body below 500',
    async () => {
      await checkBodies(
        'post',
        fixed('/api/v1/auth/login'),
        bodyOf({ email: emailLike, password }),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'POST /auth/refresh answers every body below 500',
    async () => {
      await checkBodies(
        'post',
        fixed('/api/v1/auth/refresh'),
        bodyOf({ refreshToken: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/) }),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'POST /auth/password answers every body below 500',
    async () => {
      await checkBodies(
        'post',
        fixed('/api/v1/auth/password'),
        bodyOf({ currentPassword: password, newPassword: password }),
        () => user.bearer,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'PATCH /users/me answers every body below 500',
    async () => {
      await checkBodies(
        'patch',
        fixed('/api/v1/users/me'),
        bodyOf({ displayName }),
        () => user.bearer,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'DELETE /users/me answers every body below 500 (and keeps the account)',
    async () => {
      await checkBodies(
        'delete',
        fixed('/api/v1/users/me'),
        bodyOf({ password }),
        () => user.bearer,
      );
      await api().get('/api/v1/users/me').set('Authorization', user.bearer).expect(200);
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'PATCH /users/:id answers an admin every path and body below 500',
    async () => {
      await checkBodies(
        'patch',
        () =>
          fc
            .oneof(
              { weight: 4, arbitrary: fc.constant(targetId) },
              fc.uuid(),
              awkwardString.map(percentEncode),
            )
            .map((id) => `/api/v1/users/${id}`),
        bodyOf({
          displayName,
          roles: fc.subarray(['user', 'admin']),
          status: fc.constantFrom('active', 'disabled'),
        }),
        () => admin.bearer,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'GET /users answers an admin every query below 500',
    async () => {
      await fc.assert(
        fc.asyncProperty(queryString, async (query) => {
          const target = `/api/v1/users?${query}`;
          const response = await api().get(target).set('Authorization', admin.bearer);
          expectClientAnswer(response);
        }),
        { numRuns: RUNS_PER_ROUTE },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
