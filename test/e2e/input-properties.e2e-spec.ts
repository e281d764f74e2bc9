import { Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { ModulesContainer } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import fc from 'fast-check';
import request from 'supertest';
import { buildOpenApiDocument } from '../../src/setup-app.js';
import { normalizeEmail } from '../../src/users/email.js';
import { createSignedInUser, registerUser, type SignedInUser } from '../factories/user.factory.js';
import { createSignedInAdmin } from '../support/admin.js';
import { PROBLEM_JSON } from '../support/problem.js';
import { useTestApp } from '../support/test-app.js';

// 15 routes read a body or a query: 15 x 650 hostile requests plus the round trips below make
// more than 10,000 generated requests per run (counted and asserted by the last test).
const RUNS_PER_ROUTE = 650;
const ROUND_TRIP_RUNS = 150;
const MIN_GENERATED_REQUESTS = 10_000;
// A request that takes longer hangs: the slowest valid one (an argon2id hash) takes ~50 ms here.
const REQUEST_TIMEOUT = { response: 10_000, deadline: 15_000 };
// Generous: a failure shrinks its input request by request before fast-check reports it.
const PROPERTY_TIMEOUT_MS = 300_000;

/** What any route answers to a body or URL it cannot read. */
const BODY_CODES = [
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  'REQUEST_BODY_TOO_DEEP',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
];
const QUERY_CODES = ['VALIDATION_FAILED', 'MALFORMED_URL'];
const ACCOUNT_TOKEN_CODES = [
  'ACCOUNT_TOKEN_INVALID',
  'ACCOUNT_TOKEN_USED',
  'ACCOUNT_TOKEN_EXPIRED',
];

const loneSurrogate = fc
  .integer({ min: 0xd800, max: 0xdfff })
  .map((unit) => String.fromCharCode(unit));
/** Characters that are well-formed UTF-16 and still hostile to a parser, a database or a reader. */
const wellFormedAwkwardCharacter = fc.oneof(
  fc.constantFrom('\u0000', '\u001f', '\u007f', '\u202e', '\u200b', '\ufeff', '\ufffd', '\uffff'),
  fc.constantFrom('\u{1F600}', '\u{10FFFF}', '\u0130', '\u00df', '\ufb03', '\u212a', '\u0345'),
  // Combining marks, right-to-left text and marks, a ZWJ emoji sequence.
  fc.constantFrom('\u0301', 'e\u0301', '\u05d0', '\u0627', '\u200f', '\u{1F469}\u200d\u{1F4BB}'),
  fc.constantFrom('%', '\\', '"', "'", '<', '@', '.', ' ', '\n'),
);
const awkwardCharacter = fc.oneof(
  loneSurrogate,
  wellFormedAwkwardCharacter,
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const awkwardString = fc.string({
  unit: fc.oneof({ weight: 3, arbitrary: awkwardCharacter }, fc.constantFrom('a', 'b', '1')),
  maxLength: 40,
});
/** Past the well-formedness check, so it reaches the validators and the database. */
const awkwardText = fc.string({
  unit: fc.oneof(wellFormedAwkwardCharacter, fc.constantFrom('a', 'b', '1')),
  minLength: 1,
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
  { weight: 2, arbitrary: awkwardText.map((value) => JSON.stringify(value)) },
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
  // An unknown key makes the body invalid as a whole: one body in four has one.
  const extra = fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    fc.tuple(fc.oneof(awkwardString, fc.constant('__proto__')), anyJson),
  );
  const object = fc.tuple(members, extra).map(([values, extraMember]) => {
    const entries = Object.entries(values).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    );
    if (extraMember) entries.push([extraMember[0], extraMember[1]]);
    return `{${entries.map(([name, json]) => `${JSON.stringify(name)}:${json}`).join(',')}}`;
  });
  return fc.oneof({ weight: 9, arbitrary: object }, anyJson);
}

/** Mostly JSON; at times a media type or charset the service does not read. */
const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  fc.constantFrom(
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'text/plain',
    'application/x-www-form-urlencoded',
  ),
);

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
  fc.constantFrom('1', '20', '100', '0', '-1', '1.5', 'user', 'admin', 'active', 'ada@', ''),
  awkwardString.map(percentEncode),
  // Up to 2,000: Node itself answers a request line over 16 KiB (431, before the service runs).
  fc.integer({ min: 129, max: 2_000 }).map((length) => 'x'.repeat(length)),
  fc.integer({ min: 16, max: 400 }).map((length) => '9'.repeat(length)),
  fc.constantFrom('%', '%FF', '%zz', '%ED%A0%80', '%00', '%C0%AF', '+', '%2B', '%F0%9F%98%80'),
);

/** A query string of a route's parameter names (repeated, bracketed, unknown, awkward). */
function queryOf(names: string[]): fc.Arbitrary<string> {
  return fc
    .array(
      fc.tuple(
        fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...names) },
          fc.constantFrom(...names.map((name) => `${name}[]`), `${names[0]}[a]`, '__proto__'),
          fc.constantFrom('junk', 'constructor[prototype]'),
          awkwardString.map(percentEncode),
        ),
        queryValue,
      ),
      { maxLength: 6 },
    )
    .map((pairs) => pairs.map(([name, value]) => `${name}=${value}`).join('&'));
}

/** A path parameter: mostly the given id, else another UUID or anything percent-encoded. */
function idParam(id: () => string): fc.Arbitrary<string> {
  return fc.oneof(
    // Read when generated: the id exists once beforeAll has run.
    { weight: 4, arbitrary: fc.constant(null).map(() => id()) },
    fc.uuid(),
    fc.constantFrom('00000000-0000-0000-0000-000000000000', 'me', '..', '%2e%2e'),
    awkwardString.filter((value) => value.length > 0).map(percentEncode),
  );
}

type Method = 'get' | 'post' | 'patch' | 'delete';

interface RouteInput {
  /** The path with its parameters filled in. */
  path: fc.Arbitrary<string>;
  /** A JSON body, or a query string for a GET. */
  input: fc.Arbitrary<string>;
  bearer?: () => string;
  /** Codes this route may answer besides the input codes every route shares. */
  codes: string[];
}

/** `METHOD /path/{param}` of every handler with a @Body() or @Query() parameter. */
function routesReadingInputFromNest(container: ModulesContainer): string[] {
  const names: string[] = [];
  for (const module of container.values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!type) continue;
      const controllerPath = String(Reflect.getMetadata(PATH_METADATA, type) ?? '');
      for (const key of Object.getOwnPropertyNames(type.prototype)) {
        const handler = (type.prototype as Record<string, unknown>)[key];
        if (typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, type, key) ?? {}) as object;
        const readsInput = Object.keys(args).some((arg) => {
          const paramType = Number(arg.split(':')[0]) as RouteParamtypes;
          return paramType === RouteParamtypes.BODY || paramType === RouteParamtypes.QUERY;
        });
        if (!readsInput) continue;
        const path = `/${controllerPath}/${String(Reflect.getMetadata(PATH_METADATA, handler))}`
          .replace(/\/+/g, '/')
          .replace(/\/$/, '')
          .replace(/:(\w+)/g, '{$1}');
        names.push(`${RequestMethod[method]} ${path}`);
      }
    }
  }
  return names;
}

/** The same from the OpenAPI document: operations with a request body or a query parameter. */
function routesReadingInputFromOpenApi(document: OpenAPIObject): string[] {
  const names: string[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations as Record<string, unknown>)) {
      const { requestBody, parameters = [] } = operation as {
        requestBody?: unknown;
        parameters?: Array<{ in?: string }>;
      };
      if (requestBody !== undefined || parameters.some((parameter) => parameter.in === 'query')) {
        names.push(`${method.toUpperCase()} ${path}`);
      }
    }
  }
  return names;
}

let generatedRequests = 0;

describe('no input makes a 5xx (property test over every route that reads a body or query)', () => {
  const service = useTestApp({
    // Thousands of requests from one address in a minute: the limits must not answer them all.
    RATE_LIMIT_ACCOUNT_MAIL_PER_MIN: '1000000',
    RATE_LIMIT_ACCOUNT_LINK_PER_MIN: '1000000',
    RATE_LIMIT_LOGIN_PER_MIN: '1000000',
    RATE_LIMIT_REGISTER_PER_MIN: '1000000',
    RATE_LIMIT_REFRESH_PER_MIN: '1000000',
    RATE_LIMIT_PASSWORD_PER_MIN: '1000000',
    RATE_LIMIT_LOGIN_FAILURES: '1000000',
    RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: '1000000',
  });
  // One listening server and kept-alive connections: supertest would otherwise listen and close
  // a server per request.
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  let baseUrl: string;
  let user: SignedInUser;
  let admin: SignedInUser;
  let targetId: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => service.server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(service.server.address() as AddressInfo).port}`;
    user = await createSignedInUser(service.server);
    admin = await createSignedInAdmin(service);
    targetId = (await registerUser(service.server)).id;
  });

  afterAll(() => {
    agent.destroy();
  });

  function send(method: Method, target: string, bearer?: string): request.Test {
    generatedRequests += 1;
    const call = request(baseUrl)[method](target).agent(agent).timeout(REQUEST_TIMEOUT);
    if (bearer) call.set('Authorization', bearer);
    return call;
  }

  /**
   * Below 500; an error is problem+json whose code is one the route documents (fast-check reports
   * the input that broke it, with its seed and path).
   */
  function expectClientAnswer(response: request.Response, codes: string[]): void {
    if (response.status >= 500) {
      throw new Error(`answered ${response.status}: ${response.text.slice(0, 300)}`);
    }
    if (response.status < 400) return;
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    const { code } = response.body as { code?: string };
    if (code === undefined || !codes.includes(code)) {
      throw new Error(`answered ${response.status} with an unexpected code ${String(code)}`);
    }
  }

  const password = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), awkwardText);
  const displayName = fc.oneof(fc.string({ maxLength: 100 }), awkwardText, fc.constant(null));
  const linkToken = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), fc.string());
  const fixed = (path: string) => fc.constant(path);
  const userBearer = () => user.bearer;
  const adminBearer = () => admin.bearer;

  const routes: Record<string, RouteInput> = {
    'POST /api/v1/auth/register': {
      path: fixed('/api/v1/auth/register'),
      input: bodyOf({ email: emailLike, password, displayName }),
      codes: ['USERS_EMAIL_TAKEN'],
    },
    'POST /api/v1/auth/login': {
      path: fixed('/api/v1/auth/login'),
      input: bodyOf({ email: emailLike, password }),
      codes: ['AUTH_INVALID_CREDENTIALS'],
    },
    'POST /api/v1/auth/refresh': {
      path: fixed('/api/v1/auth/refresh'),
      input: bodyOf({ refreshToken: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/) }),
      codes: ['AUTH_REFRESH_INVALID'],
    },
    'POST /api/v1/auth/password': {
      path: fixed('/api/v1/auth/password'),
      input: bodyOf({ currentPassword: password, newPassword: password }),
      bearer: userBearer,
      codes: ['AUTH_PASSWORD_INCORRECT'],
    },
    'POST /api/v1/auth/verify-email': {
      path: fixed('/api/v1/auth/verify-email'),
      input: bodyOf({ token: linkToken }),
      codes: ACCOUNT_TOKEN_CODES,
    },
    'POST /api/v1/auth/password/forgot': {
      path: fixed('/api/v1/auth/password/forgot'),
      input: bodyOf({ email: emailLike }),
      codes: [],
    },
    'POST /api/v1/auth/password/reset': {
      path: fixed('/api/v1/auth/password/reset'),
      input: bodyOf({ token: linkToken, newPassword: password }),
      codes: ACCOUNT_TOKEN_CODES,
    },
    'POST /api/v1/users/me/email': {
      path: fixed('/api/v1/users/me/email'),
      input: bodyOf({ newEmail: emailLike, password }),
      bearer: userBearer,
      codes: ['AUTH_PASSWORD_INCORRECT'],
    },
    'POST /api/v1/users/me/email/confirm': {
      path: fixed('/api/v1/users/me/email/confirm'),
      input: bodyOf({ token: linkToken }),
      bearer: userBearer,
      codes: ACCOUNT_TOKEN_CODES,
    },
    'PATCH /api/v1/users/me': {
      path: fixed('/api/v1/users/me'),
      input: bodyOf({ displayName }),
      bearer: userBearer,
      codes: [],
    },
    'DELETE /api/v1/users/me': {
      path: fixed('/api/v1/users/me'),
      input: bodyOf({ password }),
      bearer: userBearer,
      codes: ['AUTH_PASSWORD_INCORRECT'],
    },
    'PATCH /api/v1/users/{id}': {
      path: idParam(() => targetId).map((id) => `/api/v1/users/${id}`),
      input: bodyOf({
        displayName,
        roles: fc.subarray(['user', 'admin']),
        status: fc.constantFrom('active', 'disabled'),
      }),
      bearer: adminBearer,
      // An id that is no user, that is not UTF-8, or a path that is no route (`..`).
      codes: ['USERS_NOT_FOUND', 'MALFORMED_URL', 'ROUTE_NOT_FOUND', 'METHOD_NOT_ALLOWED'],
    },
    'GET /api/v1/users': {
      path: fixed('/api/v1/users'),
      input: queryOf(['limit', 'cursor', 'email', 'role', 'status']),
      bearer: adminBearer,
      codes: [],
    },
    'GET /api/v1/users/me/events': {
      path: fixed('/api/v1/users/me/events'),
      input: queryOf(['limit', 'cursor']),
      bearer: userBearer,
      codes: [],
    },
    'GET /api/v1/users/{id}/events': {
      path: idParam(() => targetId).map((id) => `/api/v1/users/${id}/events`),
      input: queryOf(['limit', 'cursor']),
      bearer: adminBearer,
      codes: ['ROUTE_NOT_FOUND'],
    },
  };

  it('covers every route that reads a body or a query, by the router and by the OpenAPI document', () => {
    const fromNest = routesReadingInputFromNest(service.app.get(ModulesContainer));
    const fromDocument = routesReadingInputFromOpenApi(buildOpenApiDocument(service.app));
    const covered = Object.keys(routes).sort();
    expect([...new Set(fromNest)].sort()).toEqual(covered);
    expect([...new Set(fromDocument)].sort()).toEqual(covered);
  });

  for (const [name, route] of Object.entries(routes)) {
    const [verb] = name.split(' ');
    const method = verb.toLowerCase() as Method;
    const isQuery = method === 'get';
    const codes = [...(isQuery ? QUERY_CODES : BODY_CODES), ...route.codes];

    it(
      `${name} answers every ${isQuery ? 'query' : 'body'} below 500, errors as problem+json with a known code`,
      async () => {
        const property = fc.asyncProperty(
          route.path,
          route.input,
          isQuery ? fc.constant(undefined) : contentType,
          async (path, input, type) => {
            const response = type
              ? await send(method, path, route.bearer?.()).set('Content-Type', type).send(input)
              : await send(method, `${path}?${input}`, route.bearer?.());
            expectClientAnswer(response, codes);
          },
        );
        await fc.assert(property, { numRuns: RUNS_PER_ROUTE });
      },
      PROPERTY_TIMEOUT_MS,
    );
  }

  it(
    'keeps the account that DELETE /users/me was sent every body',
    async () => {
      await send('get', '/api/v1/users/me', user.bearer).expect(200);
    },
    PROPERTY_TIMEOUT_MS,
  );

  describe('valid input round-trips exactly', () => {
    // Letters that change under NFKC or lower-casing, from several scripts, right-to-left too.
    const emailLocalCharacter = fc.constantFrom(
      ...'abcxyz019._-+'.split(''),
      'É',
      'é',
      'ß',
      'Ж',
      'ж',
      '中',
      'ا',
      'ש',
      '\u212a',
      '\ufb01',
    );
    let emailCounter = 0;
    const validEmail = fc
      .tuple(
        fc.string({ unit: emailLocalCharacter, minLength: 1, maxLength: 20 }),
        fc.constantFrom('example.com', 'Example.ORG', 'ex-ample.test'),
      )
      .map(([local, domain]) => {
        emailCounter += 1;
        const safeLocal = local.replace(/^\.+|\.+$/g, '').replace(/\.{2,}/g, '.');
        return `P${emailCounter}${safeLocal ? `.${safeLocal}` : ''}@${domain}`;
      });
    const displayCharacter = fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
      fc.constantFrom(
        '\u0301',
        'e\u0301',
        'Å',
        'A\u030a',
        '\u05e9\u05dc\u05d5\u05dd',
        '\u0645\u0631\u062d\u0628\u0627',
        '\u202e',
        '\u200f',
        '\u200d',
        '\ufeff',
        '\u{1F600}',
        '\u{1F469}\u200d\u{1F4BB}',
        '\u{1F1EF}\u{1F1F5}',
        '\u{10FFFF}',
        '\u{20000}',
        '\uffff',
        ' ',
        '"',
        '\\',
        '<script>',
      ),
    );
    /** Any well-formed text without control characters, 1 to 100 characters. */
    const validDisplayName = fc
      .string({ unit: displayCharacter, minLength: 1, maxLength: 30 })
      .filter((value) => !/\p{Cc}/u.test(value) && [...value].length <= 100);

    it(
      'registers any valid email and display name and reads them back (email normalized, name as sent)',
      async () => {
        await fc.assert(
          fc.asyncProperty(validEmail, validDisplayName, async (email, name) => {
            const registered = await send('post', '/api/v1/auth/register')
              .set('Content-Type', 'application/json')
              .send({ email, password: 'Tr0ub4dor-and-staple', displayName: name });
            expect(registered.status).toBe(201);
            const body = registered.body as { id: string; email: string; displayName: string };
            expect({ email: body.email, displayName: body.displayName }).toEqual({
              email: normalizeEmail(email),
              displayName: name,
            });
            const read = await send('get', `/api/v1/users/${body.id}`, admin.bearer);
            expect(read.status).toBe(200);
            expect(read.body).toEqual(registered.body);
          }),
          { numRuns: ROUND_TRIP_RUNS },
        );
      },
      PROPERTY_TIMEOUT_MS,
    );

    it(
      'stores any valid display name sent to PATCH /users/me exactly as GET /users/me returns it',
      async () => {
        await fc.assert(
          fc.asyncProperty(validDisplayName, async (name) => {
            const updated = await send('patch', '/api/v1/users/me', user.bearer)
              .set('Content-Type', 'application/json')
              .send({ displayName: name });
            expect(updated.status).toBe(200);
            expect((updated.body as { displayName: string }).displayName).toBe(name);
            const read = await send('get', '/api/v1/users/me', user.bearer);
            expect(read.status).toBe(200);
            expect(read.body).toEqual(updated.body);
          }),
          { numRuns: ROUND_TRIP_RUNS },
        );
      },
      PROPERTY_TIMEOUT_MS,
    );

    it(
      'applies any valid admin change and GET /users/:id reads back exactly the sent fields',
      async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.record(
              {
                displayName: fc.oneof(validDisplayName, fc.constant(null)),
                roles: fc.subarray(['user', 'admin'], { minLength: 1 }),
                status: fc.constantFrom('active', 'disabled'),
              },
              { requiredKeys: [] },
            ),
            async (changes) => {
              const before = await send('get', `/api/v1/users/${targetId}`, admin.bearer);
              const updated = await send('patch', `/api/v1/users/${targetId}`, admin.bearer)
                .set('Content-Type', 'application/json')
                .send(changes);
              expect(updated.status).toBe(200);
              expect(updated.body).toEqual({
                ...(before.body as object),
                ...changes,
                updatedAt: expect.any(String),
              });
              const read = await send('get', `/api/v1/users/${targetId}`, admin.bearer);
              expect(read.body).toEqual(updated.body);
            },
          ),
          { numRuns: ROUND_TRIP_RUNS },
        );
      },
      PROPERTY_TIMEOUT_MS,
    );
  });

  it(`made at least ${MIN_GENERATED_REQUESTS} generated requests`, () => {
    console.info(`input properties: ${generatedRequests} generated requests`);
    expect(generatedRequests).toBeGreaterThanOrEqual(MIN_GENERATED_REQUESTS);
  });
});
