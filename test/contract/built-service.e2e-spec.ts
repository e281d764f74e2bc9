import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buildUser } from '../factories/user.factory.js';
import { BuiltService } from '../support/built-service.js';
import { linkIn, SmtpCatcher } from '../support/smtp-catcher.js';
import { useTestEnvironment } from '../support/test-app.js';

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('the built service, embedded mode (no DATABASE_URL, no REDIS_URL)', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'uas-embedded-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('boots, serves, exits 0 on SIGTERM and keeps its data across a restart on the same DATA_DIR', async () => {
    const env = { NODE_ENV: 'test', LOG_LEVEL: 'warn', DATA_DIR: dataDir };
    const user = buildUser();

    const first = await BuiltService.start(env);
    const ready = await (await fetch(first.url('/health/ready'))).json();
    expect(ready).toMatchObject({ status: 'ok', database: 'up', cache: 'up' });
    expect((await fetch(first.url('/api/v1/auth/register'), json(user))).status).toBe(201);
    expect(await first.stop()).toEqual({ code: 0, signal: null });

    const second = await BuiltService.start(env);
    try {
      const login = await fetch(
        second.url('/api/v1/auth/login'),
        json({ email: user.email, password: user.password }),
      );
      expect(login.status).toBe(200);
    } finally {
      expect(await second.stop()).toEqual({ code: 0, signal: null });
    }
  });
});

describe('the built service, development mode (no NODE_ENV)', () => {
  it('boots on the embedded defaults and prints human-readable log lines', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'uas-development-'));
    const service = await BuiltService.start({ DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    try {
      expect((await fetch(service.url('/health/live'))).status).toBe(200);
      // pino-pretty, loaded from node_modules by the bundle: "[12:00:00.000] INFO ..." lines.
      expect(service.output).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] .*INFO.*Listening on/m);
      expect(service.output).not.toMatch(/^\{"level"/m);
    } finally {
      expect(await service.stop()).toEqual({ code: 0, signal: null });
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the built service refuses unsafe production configuration', () => {
  it.each([
    [
      'the embedded database',
      { REDIS_URL: 'redis://127.0.0.1:6379', JWT_PRIVATE_KEY_FILE: '/k.pem' },
      /DATABASE_URL is required/,
    ],
    [
      'generated development keys',
      { DATABASE_URL: 'postgres://u@127.0.0.1/db', REDIS_URL: 'redis://127.0.0.1:6379' },
      /JWT_PRIVATE_KEY/,
    ],
    [
      'a wildcard CORS origin',
      {
        DATABASE_URL: 'postgres://u@127.0.0.1/db',
        REDIS_URL: 'redis://127.0.0.1:6379',
        JWT_PRIVATE_KEY_FILE: '/k.pem',
        CORS_ORIGINS: '*',
      },
      /CORS_ORIGINS/,
    ],
  ])('exits 1 at once, naming the problem, on %s', async (_case, env, message) => {
    const service = await BuiltService.spawn({ NODE_ENV: 'production', ...env });
    const status = await service.exit();
    expect(status.code).toBe(1);
    expect(service.output).toMatch(message);
    expect(service.output).toContain('Invalid configuration');
  });
});

describe('the built service in production needs somewhere to send mail and something to link to', () => {
  // Everything production requires except what each case leaves out; nothing is contacted, since
  // the configuration is refused before any connection is made.
  const complete = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://u@127.0.0.1/db',
    REDIS_URL: 'redis://127.0.0.1:6379',
    JWT_PRIVATE_KEY_FILE: '/k.pem',
    CORS_ORIGINS: 'https://app.example.com',
    SMTP_URL: 'smtp://mailer:secret@127.0.0.1:2525',
    APP_URL: 'https://app.example.com',
  };

  it.each([
    [
      'without SMTP_URL',
      { SMTP_URL: undefined },
      'SMTP_URL is required in production (development delivery only writes .eml files)',
    ],
    [
      'without APP_URL',
      { APP_URL: undefined },
      'APP_URL is required in production (the links in account mails point at it)',
    ],
    [
      'with an SMTP_URL that is not smtp:// or smtps://',
      { SMTP_URL: 'mail.example.com:587' },
      'SMTP_URL must be an smtp:// or smtps:// URL with a host, e.g. smtp://user:pass@host:587',
    ],
    [
      'with an APP_URL that is not http(s)',
      { APP_URL: 'app.example.com' },
      'APP_URL must be an http:// or https:// URL with a host and no query or fragment, e.g. https://app.example.com',
    ],
  ])('exits 1 at once %s, with that one problem listed', async (_case, env, problem) => {
    const service = await BuiltService.spawn({ ...complete, ...env });
    expect((await service.exit()).code).toBe(1);
    expect(service.output).toContain(`Invalid configuration:\n  - ${problem}`);
    // Nest's exception handler and main.ts both print the list.
    expect(new Set(service.output.match(/^ {2}- .*$/gm))).toEqual(new Set([`  - ${problem}`]));
    expect(service.output).not.toContain('secret');
  });
});

describe('the built service, production mode with SMTP_URL and APP_URL', () => {
  const scope = useTestEnvironment();
  let smtp: SmtpCatcher;
  let keyDir: string;

  beforeAll(async () => {
    smtp = await SmtpCatcher.start();
    keyDir = await mkdtemp(path.join(tmpdir(), 'uas-production-key-'));
  });

  afterAll(async () => {
    await smtp.stop();
    await rm(keyDir, { recursive: true, force: true });
  });

  it('boots, sends the verification mail over SMTP with a link to APP_URL, and exits 0 on SIGTERM', async () => {
    const keyFile = path.join(keyDir, 'jwt-private.pem');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const service = await scope.environment.startBuiltService({
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      JWT_PRIVATE_KEY_FILE: keyFile,
      CORS_ORIGINS: 'https://app.example.test',
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Accounts <accounts@example.test>',
      APP_URL: 'https://app.example.test',
      MIGRATIONS_RUN: 'true',
      SHUTDOWN_DRAIN_MS: '0',
      OUTBOX_POLL_INTERVAL_MS: '100',
    });

    const user = buildUser();
    expect((await fetch(service.url('/api/v1/auth/register'), json(user))).status).toBe(201);
    const mail = await smtp.waitForMail(user.email);
    expect(mail.from).toBe('accounts@example.test');
    const { url } = linkIn(mail);
    expect(`${url.origin}${url.pathname}`).toBe('https://app.example.test/verify-email');
    expect(await service.stop()).toEqual({ code: 0, signal: null });
  });
});

describe('the built service, connected mode', () => {
  const scope = useTestEnvironment();
  let service: BuiltService;

  beforeAll(async () => {
    service = await scope.environment.startBuiltService({
      LOG_LEVEL: 'info',
      SHUTDOWN_DRAIN_MS: '800',
      // The drain test signs one account in 12 times at once; attempts count until they succeed.
      RATE_LIMIT_LOGIN_FAILURES: '1000',
    });
  });

  // The bundle must hold one copy of each library: a second one loaded from node_modules by name
  // would leave validation metadata, DI tokens or the data source behind (see scripts/build.mjs).
  it('validates, authenticates, caches and checks the database as the source does', async () => {
    const ready = await fetch(service.url('/health/ready'));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ database: 'up', cache: 'up' });

    const invalid = await fetch(
      service.url('/api/v1/auth/register'),
      json({ email: 'not-an-email', password: 'short', extra: 1 }),
    );
    expect(invalid.status).toBe(400);
    const problem = (await invalid.json()) as { errors: { field: string }[] };
    expect(new Set(problem.errors.map((error) => error.field))).toEqual(
      new Set(['email', 'extra', 'password']),
    );
    expect((await fetch(service.url('/api/v1/users/me'))).status).toBe(401);

    const user = buildUser();
    expect((await fetch(service.url('/api/v1/auth/register'), json(user))).status).toBe(201);
    const login = await fetch(
      service.url('/api/v1/auth/login'),
      json({ email: user.email, password: user.password }),
    );
    const { accessToken } = (await login.json()) as { accessToken: string };
    const me = () =>
      fetch(service.url('/api/v1/users/me'), {
        headers: { authorization: `Bearer ${accessToken}` },
      });
    const first = await me();
    expect(first.status).toBe(200);
    expect(((await first.json()) as { email: string }).email).toBe(user.email.toLowerCase());
    const second = await me();
    expect(second.headers.get('x-cache')).toBe('HIT');
  });

  it('publishes an OpenAPI document describing every route, DTO, error and the bearer scheme', async () => {
    const document = (await (await fetch(service.url('/docs/openapi.json'))).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            responses: Record<string, { content?: Record<string, unknown> }>;
            security?: unknown[];
            requestBody?: { required?: boolean; content: Record<string, unknown> };
          }
        >
      >;
      components: {
        schemas: Record<
          string,
          {
            properties?: Record<string, { maxLength?: number; minLength?: number }>;
            required?: string[];
          }
        >;
        securitySchemes: Record<string, unknown>;
      };
    };
    expect(Object.keys(document.paths).sort()).toEqual(
      [
        '/.well-known/jwks.json',
        '/api/v1/auth/login',
        '/api/v1/auth/logout',
        '/api/v1/auth/logout-all',
        '/api/v1/auth/password',
        '/api/v1/auth/password/forgot',
        '/api/v1/auth/password/reset',
        '/api/v1/auth/refresh',
        '/api/v1/auth/register',
        '/api/v1/auth/sessions',
        '/api/v1/auth/sessions/{id}',
        '/api/v1/auth/verify-email',
        '/api/v1/auth/verify-email/resend',
        '/api/v1/users',
        '/api/v1/users/me',
        '/api/v1/users/me/email',
        '/api/v1/users/me/email/confirm',
        '/api/v1/users/me/events',
        '/api/v1/users/{id}',
        '/api/v1/users/{id}/events',
        '/health/live',
        '/health/ready',
      ].sort(),
    );
    // The Swagger CLI plugin read the DTOs: validation limits appear without explicit decorators.
    expect(document.components.schemas.RegisterDto.properties?.password).toMatchObject({
      minLength: 12,
      maxLength: 128,
    });
    expect(document.components.schemas.ListUsersQueryDto).toBeUndefined();
    expect(document.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    const me = document.paths['/api/v1/users/me'].get;
    expect(me.security).toEqual([{ bearer: [] }]);
    expect(me.responses['401'].content?.['application/problem+json']).toEqual({
      schema: { $ref: '#/components/schemas/ProblemDetailsDto' },
    });
    // Deleting your account takes your password in the body.
    const removeMe = document.paths['/api/v1/users/me'].delete;
    expect(removeMe.requestBody).toMatchObject({
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/DeleteMeDto' } } },
    });
    expect(document.components.schemas.DeleteMeDto.required).toEqual(['password']);
    expect(Object.keys(removeMe.responses)).toEqual(expect.arrayContaining(['204', '400', '429']));
    const register = document.paths['/api/v1/auth/register'].post;
    expect(Object.keys(register.responses)).toEqual(
      expect.arrayContaining(['201', '400', '409', '429']),
    );
  });

  it('logs one access line per request, with request id and route, and no secrets', async () => {
    const user = buildUser();
    await fetch(service.url('/api/v1/auth/register'), json(user));
    await fetch(service.url('/api/v1/auth/login'), {
      ...json({ email: user.email, password: user.password }),
      headers: {
        'content-type': 'application/json',
        'x-request-id': 'trace-login-1',
        authorization: 'Bearer secret-token-value',
      },
    });
    await fetch(service.url('/health/live'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lines = service.output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const access = lines.filter(
      (line) => line.requestId === 'trace-login-1' && line.status !== undefined,
    );
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      method: 'POST',
      route: '/api/v1/auth/login',
      status: 200,
      level: 'info',
    });
    expect(typeof access[0].durationMs).toBe('number');
    expect(service.output).not.toContain(user.password);
    expect(service.output).not.toContain('secret-token-value');
    expect(lines.some((line) => line.path === '/health/live')).toBe(false);
    // Class names survive the bundle (scripts/build.mjs): Nest names its log contexts after them.
    const contexts = new Set(lines.map((line) => line.context));
    for (const context of ['InstanceLoader', 'RoutesResolver', 'NestApplication']) {
      expect(contexts.has(context)).toBe(true);
    }
  });

  it('drains on SIGTERM: readiness 503 at once, in-flight requests finish, then exit 0', async () => {
    const user = buildUser();
    await fetch(service.url('/api/v1/auth/register'), json(user));
    const inFlight = Array.from({ length: 12 }, () =>
      fetch(
        service.url('/api/v1/auth/login'),
        json({ email: user.email, password: user.password }),
      ).then((r) => r.status),
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    service.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const readiness = await fetch(service.url('/health/ready'));
    expect(readiness.status).toBe(503);
    expect(((await readiness.json()) as { code: string }).code).toBe('SERVICE_SHUTTING_DOWN');

    expect(await Promise.all(inFlight)).toEqual(Array(12).fill(200));
    expect(await service.exit()).toEqual({ code: 0, signal: null });
    await expect(fetch(service.url('/health/live'))).rejects.toThrow();
  });
});
