import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { refusalsOf } from '../../test/support/config-refusals.js';
import { loadAppConfig } from './app-config.js';

type Environment = Record<string, string | undefined>;

function productionEnv(overrides: Environment = {}): Environment {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://app:secret@db:5432/app',
    REDIS_URL: 'redis://cache:6379',
    JWT_PRIVATE_KEY_FILE: '/run/secrets/jwt-private.pem',
    CORS_ORIGINS: 'https://app.example.com',
    SMTP_URL: 'smtp://mailer:secret@smtp.example.com:587',
    APP_URL: 'https://app.example.com',
    ...overrides,
  };
}

function problemsOf(environment: Environment): string[] {
  return refusalsOf(loadAppConfig, environment);
}

function refusedVariables(environment: Environment): string[] {
  return [...new Set(problemsOf(environment).map((problem) => problem.split(/[\s:]/)[0]))];
}

describe('loadAppConfig', () => {
  describe('defaults', () => {
    const config = loadAppConfig({});

    it('runs in development when NODE_ENV is unset', () => {
      expect(config.env).toBe('development');
      expect(config.isProduction).toBe(false);
    });

    it('listens on 0.0.0.0:3000 with a 100kb body limit and no CORS, host or proxy trust', () => {
      expect(config.http).toEqual({
        port: 3000,
        host: '0.0.0.0',
        bodyLimit: '100kb',
        corsOrigins: [],
        allowedHosts: [],
        trustProxy: false,
      });
    });

    it('uses the embedded database in .data and runs migrations', () => {
      expect(config.dataDir).toBe('.data');
      expect(config.database).toEqual({
        url: undefined,
        pooler: 'none',
        directUrl: undefined,
        dataDir: '.data',
        poolSize: 10,
        statementTimeoutMs: 10_000,
        connectTimeoutMs: 5_000,
        slowQueryMs: 500,
        runMigrations: true,
      });
    });

    it('uses in-process stores when REDIS_URL is unset', () => {
      expect(config.redis).toEqual({
        topology: undefined,
        keyPrefix: 'uas:',
        commandTimeoutMs: 250,
      });
    });

    it('issues 15-minute access tokens and 30-day refresh tokens with a 10 s reuse grace, in sessions of at most 90 days purged hourly', () => {
      expect(config.auth).toEqual({
        privateKeyPem: undefined,
        privateKeyFile: undefined,
        publicKeysFile: undefined,
        issuer: 'user-auth-service',
        audience: 'user-auth-service',
        accessTokenTtlS: 900,
        refreshTokenTtlS: 30 * 24 * 3600,
        refreshReuseGraceS: 10,
        sessionMaxAgeS: 90 * 24 * 3600,
        sessionPurgeIntervalS: 3600,
      });
    });

    it('enables rate limits, a 60 s cache, docs and info logging', () => {
      expect(config.rateLimit).toEqual({
        enabled: true,
        loginPerMinute: 10,
        loginFailuresPerAddress: 5,
        loginFailuresPerAccount: 50,
        loginFailureWindowS: 900,
        registerPerMinute: 10,
        refreshPerMinute: 60,
        passwordPerMinute: 5,
        accountMailPerMinute: 5,
        accountLinkPerMinute: 20,
      });
      expect(config.cache.ttlS).toBe(60);
      expect(config.docs.enabled).toBe(true);
      expect(config.logLevel).toBe('info');
    });

    it('has no metrics token, no admin and no shutdown drain', () => {
      expect(config.metrics.token).toBeUndefined();
      expect(config.admin).toEqual({ email: undefined, password: undefined });
      expect(config.shutdown).toEqual({ drainMs: 0, timeoutMs: 15_000 });
    });

    it('writes mail to .data/outbox instead of sending it, polling the outbox every second with 8 attempts from 30 s apart', () => {
      expect(config.mail).toEqual({
        smtpUrl: undefined,
        from: 'User Auth Service <no-reply@localhost>',
        outboxDir: join('.data', 'outbox'),
        pollIntervalMs: 1000,
        maxAttempts: 8,
        retryBaseMs: 30_000,
      });
    });

    it('links mails to localhost:3000 with 24-hour verification and 30-minute reset tokens, unverified logins allowed and no cookies', () => {
      expect(config.account).toEqual({
        appUrl: 'http://localhost:3000',
        requireVerifiedEmail: false,
        verifyTokenTtlS: 24 * 3600,
        resetTokenTtlS: 30 * 60,
        cookies: false,
        corsOrigins: [],
      });
    });

    it('keeps the audit trail for a year', () => {
      expect(config.audit).toEqual({ retentionDays: 365 });
    });

    it('leaves tracing off', () => {
      expect(config.tracing).toBeUndefined();
    });

    it('treats empty strings as unset', () => {
      const blank = loadAppConfig({ HOST: '', DATA_DIR: '', DATABASE_URL: '', REDIS_URL: ' ' });
      expect(blank.http.host).toBe('0.0.0.0');
      expect(blank.dataDir).toBe('.data');
      expect(blank.database.url).toBeUndefined();
      expect(blank.redis.topology).toBeUndefined();
    });
  });

  describe('parsing', () => {
    it('turns tracing on with an OTLP endpoint, named user-auth-service unless OTEL_SERVICE_NAME says', () => {
      expect(
        loadAppConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' }).tracing,
      ).toEqual({ endpoint: 'http://otel-collector:4318', serviceName: 'user-auth-service' });
      expect(
        loadAppConfig({
          OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com',
          OTEL_SERVICE_NAME: 'accounts',
        }).tracing,
      ).toEqual({ endpoint: 'https://otel.example.com', serviceName: 'accounts' });
    });

    it('treats an empty value as unset for every variable', () => {
      const config = loadAppConfig({ PORT: '', TRUST_PROXY: ' ', LOG_LEVEL: '', NODE_ENV: '' });
      expect(config.http.port).toBe(3000);
      expect(config.http.trustProxy).toBe(false);
      expect(config.logLevel).toBe('info');
      expect(config.env).toBe('development');
    });

    it('drops the port from ALLOWED_HOSTS entries, since requests are matched by hostname', () => {
      const config = loadAppConfig({ ALLOWED_HOSTS: 'api.example.com:3000,[::1]:8080,::1' });
      expect(config.http.allowedHosts).toEqual(['api.example.com', '[::1]', '::1']);
    });

    it('reads SESSION_MAX_AGE and SESSION_PURGE_INTERVAL in seconds, 0 turning the purge timer off', () => {
      const config = loadAppConfig({ SESSION_MAX_AGE: '86400', SESSION_PURGE_INTERVAL: '0' });
      expect(config.auth).toMatchObject({ sessionMaxAgeS: 86_400, sessionPurgeIntervalS: 0 });
    });

    it('reads DATABASE_POOLER=transaction with its DATABASE_DIRECT_URL, and ignores a direct URL without it', () => {
      const pooled = loadAppConfig({
        DATABASE_URL: 'postgres://app@pgbouncer:6432/app',
        DATABASE_POOLER: 'transaction',
        DATABASE_DIRECT_URL: 'postgres://app@postgres:5432/app',
      });
      expect(pooled.database).toMatchObject({
        pooler: 'transaction',
        directUrl: 'postgres://app@postgres:5432/app',
      });
      const direct = loadAppConfig({
        DATABASE_URL: 'postgres://app@postgres:5432/app',
        DATABASE_DIRECT_URL: 'postgres://app@postgres:5432/app',
      });
      expect(direct.database).toMatchObject({ pooler: 'none', directUrl: undefined });
    });

    it.each<[string, Environment]>([
      ['without DATABASE_DIRECT_URL', { DATABASE_URL: 'postgres://app@pgbouncer:6432/app' }],
      ['without DATABASE_URL', { DATABASE_DIRECT_URL: 'postgres://app@postgres:5432/app' }],
    ])('refuses DATABASE_POOLER=transaction %s', (_case, environment) => {
      expect(() => loadAppConfig({ ...environment, DATABASE_POOLER: 'transaction' })).toThrow(
        'DATABASE_POOLER=transaction needs DATABASE_URL (the pooler) and DATABASE_DIRECT_URL',
      );
    });

    it('reads integers, trimming surrounding whitespace', () => {
      const config = loadAppConfig({ PORT: ' 8080 ', ACCESS_TOKEN_TTL: '300', DB_POOL_SIZE: '25' });
      expect(config.http.port).toBe(8080);
      expect(config.auth.accessTokenTtlS).toBe(300);
      expect(config.database.poolSize).toBe(25);
    });

    it.each([
      ['yes', true],
      ['on', true],
      ['1', true],
      ['TRUE', true],
      ['no', false],
      ['off', false],
      ['0', false],
      ['false', false],
    ])('reads the boolean %p as %p', (raw, expected) => {
      const config = loadAppConfig({ MIGRATIONS_RUN: raw, DOCS_ENABLED: raw });
      expect(config.database.runMigrations).toBe(expected);
      expect(config.docs.enabled).toBe(expected);
    });

    it.each([
      ['true', true],
      [' TRUE ', true],
      ['false', false],
      ['2', 2],
      ['loopback, 10.0.0.0/8', ['loopback', '10.0.0.0/8']],
      ['10.0.0.1,,172.16.0.0/12', ['10.0.0.1', '172.16.0.0/12']],
    ])('reads TRUST_PROXY %p as %p', (raw, expected) => {
      expect(loadAppConfig({ TRUST_PROXY: raw }).http.trustProxy).toEqual(expected);
    });

    it('splits CORS_ORIGINS on commas, trimming and dropping empty entries', () => {
      const config = loadAppConfig({
        CORS_ORIGINS: ' https://a.example.com, ,https://b.example.com ,',
      });
      expect(config.http.corsOrigins).toEqual(['https://a.example.com', 'https://b.example.com']);
    });

    it('splits ALLOWED_HOSTS on commas and lower-cases them', () => {
      const config = loadAppConfig({ ALLOWED_HOSTS: ' API.Example.com, , .Example.ORG ' });
      expect(config.http.allowedHosts).toEqual(['api.example.com', '.example.org']);
    });

    it('turns literal \\n sequences in JWT_PRIVATE_KEY into newlines', () => {
      const config = loadAppConfig({
        JWT_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nMIGH\\n-----END PRIVATE KEY-----',
      });
      expect(config.auth.privateKeyPem).toBe(
        '-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----',
      );
    });

    it('keeps an admin account when both ADMIN_EMAIL and ADMIN_PASSWORD are set', () => {
      const config = loadAppConfig({
        ADMIN_EMAIL: 'admin@example.com',
        ADMIN_PASSWORD: 'correct horse battery',
      });
      expect(config.admin).toEqual({
        email: 'admin@example.com',
        password: 'correct horse battery',
      });
    });

    it('accepts postgresql:// and rediss:// URLs', () => {
      const config = loadAppConfig({
        DATABASE_URL: 'postgresql://app@db/app',
        REDIS_URL: 'rediss://cache:6380',
      });
      expect(config.database.url).toBe('postgresql://app@db/app');
      expect(config.redis.topology).toEqual({ kind: 'single', url: 'rediss://cache:6380' });
    });

    it.each(['2048', '1mb', '512KB', '10b'])('accepts the body limit %p', (limit) => {
      expect(loadAppConfig({ BODY_LIMIT: limit }).http.bodyLimit).toBe(limit);
    });

    it('reads the per-account and password-change limits', () => {
      const config = loadAppConfig({
        RATE_LIMIT_LOGIN_FAILURES: '4',
        RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: '40',
        RATE_LIMIT_PASSWORD_PER_MIN: '2',
      });
      expect(config.rateLimit).toMatchObject({
        loginFailuresPerAddress: 4,
        loginFailuresPerAccount: 40,
        passwordPerMinute: 2,
      });
    });

    it('reads the mail, outbox and account link settings', () => {
      const config = loadAppConfig({
        SMTP_URL: 'smtps://mailer:p%40ss@smtp.example.com:465',
        MAIL_FROM: 'Accounts <accounts@example.com>',
        APP_URL: 'https://app.example.com/portal/',
        OUTBOX_POLL_INTERVAL_MS: '250',
        OUTBOX_MAX_ATTEMPTS: '3',
        OUTBOX_RETRY_BASE_MS: '1000',
        REQUIRE_VERIFIED_EMAIL: 'true',
        VERIFY_TOKEN_TTL: '3600',
        RESET_TOKEN_TTL: '600',
        AUDIT_RETENTION_DAYS: '90',
        AUTH_COOKIES: 'yes',
        RATE_LIMIT_ACCOUNT_MAIL_PER_MIN: '2',
        RATE_LIMIT_ACCOUNT_LINK_PER_MIN: '7',
        CORS_ORIGINS: 'https://app.example.com',
      });
      expect(config.mail).toMatchObject({
        smtpUrl: 'smtps://mailer:p%40ss@smtp.example.com:465',
        from: 'Accounts <accounts@example.com>',
        pollIntervalMs: 250,
        maxAttempts: 3,
        retryBaseMs: 1000,
      });
      expect(config.account).toEqual({
        appUrl: 'https://app.example.com/portal',
        requireVerifiedEmail: true,
        verifyTokenTtlS: 3600,
        resetTokenTtlS: 600,
        cookies: true,
        corsOrigins: ['https://app.example.com'],
      });
      expect(config.audit.retentionDays).toBe(90);
      expect(config.rateLimit).toMatchObject({ accountMailPerMinute: 2, accountLinkPerMinute: 7 });
    });

    it.each([
      'smtp://smtp.example.com',
      'smtp://mailpit:1025',
      'smtps://user:pass@smtp.example.com:465',
      'smtp://[::1]:2525',
    ])('accepts the SMTP_URL %p', (url) => {
      expect(loadAppConfig({ SMTP_URL: url }).mail.smtpUrl).toBe(url);
    });

    it.each(['no-reply@example.com', 'Accounts <no-reply@example.com>', '"Acme, Inc." <a@b.io>'])(
      'accepts the MAIL_FROM %p',
      (from) => {
        expect(loadAppConfig({ MAIL_FROM: from }).mail.from).toBe(from);
      },
    );

    it('writes no .eml files with DATA_DIR=:memory:', () => {
      expect(loadAppConfig({ DATA_DIR: ':memory:' }).mail.outboxDir).toBeUndefined();
    });

    it('accepts a 16-character metrics token', () => {
      expect(loadAppConfig({ METRICS_TOKEN: 'a'.repeat(16) }).metrics.token).toBe('a'.repeat(16));
    });
  });

  describe('validation', () => {
    it.each<[string, Environment, string]>([
      ['a non-numeric PORT', { PORT: 'http' }, 'PORT'],
      ['a PORT above 65535', { PORT: '70000' }, 'PORT'],
      ['a negative PORT', { PORT: '-1' }, 'PORT'],
      ['a fractional PORT', { PORT: '80.5' }, 'PORT'],
      ['an unknown NODE_ENV', { NODE_ENV: 'staging' }, 'NODE_ENV'],
      ['an unknown LOG_LEVEL', { LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
      ['a non-postgres DATABASE_URL', { DATABASE_URL: 'mysql://app@db/app' }, 'DATABASE_URL'],
      ['a DATABASE_URL with spaces', { DATABASE_URL: 'postgres://app@db/my app' }, 'DATABASE_URL'],
      ['a non-redis REDIS_URL', { REDIS_URL: 'http://cache:6379' }, 'REDIS_URL'],
      ['a REDIS_KEY_PREFIX with spaces', { REDIS_KEY_PREFIX: 'my prefix' }, 'REDIS_KEY_PREFIX'],
      ['a BODY_LIMIT in gigabytes', { BODY_LIMIT: '1gb' }, 'BODY_LIMIT'],
      ['a BODY_LIMIT in words', { BODY_LIMIT: 'large' }, 'BODY_LIMIT'],
      [
        'a boolean that is neither yes nor no',
        { RATE_LIMIT_ENABLED: 'maybe' },
        'RATE_LIMIT_ENABLED',
      ],
      ['a METRICS_TOKEN under 16 characters', { METRICS_TOKEN: 'short-token' }, 'METRICS_TOKEN'],
      ['an ACCESS_TOKEN_TTL of zero', { ACCESS_TOKEN_TTL: '0' }, 'ACCESS_TOKEN_TTL'],
      ['a REFRESH_TOKEN_TTL under a minute', { REFRESH_TOKEN_TTL: '59' }, 'REFRESH_TOKEN_TTL'],
      [
        'a REFRESH_REUSE_GRACE_S over 300',
        { REFRESH_REUSE_GRACE_S: '301' },
        'REFRESH_REUSE_GRACE_S',
      ],
      ['a SESSION_MAX_AGE under a minute', { SESSION_MAX_AGE: '59' }, 'SESSION_MAX_AGE'],
      ['a SESSION_MAX_AGE in days', { SESSION_MAX_AGE: '90d' }, 'SESSION_MAX_AGE'],
      [
        'a negative SESSION_PURGE_INTERVAL',
        { SESSION_PURGE_INTERVAL: '-1' },
        'SESSION_PURGE_INTERVAL',
      ],
      ['a DB_POOL_SIZE of zero', { DB_POOL_SIZE: '0' }, 'DB_POOL_SIZE'],
      [
        'a DATABASE_POOLER other than none or transaction',
        { DATABASE_POOLER: 'session' },
        'DATABASE_POOLER',
      ],
      ['a TRUST_PROXY with shell characters', { TRUST_PROXY: '10.0.0.1;rm' }, 'TRUST_PROXY'],
      [
        'an ADMIN_EMAIL that is not an email',
        { ADMIN_EMAIL: 'admin', ADMIN_PASSWORD: 'correct horse battery' },
        'ADMIN_EMAIL',
      ],
      [
        'an ADMIN_PASSWORD under 12 characters',
        { ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'short' },
        'ADMIN_PASSWORD',
      ],
    ])('refuses %s', (_case, environment, variable) => {
      expect(refusedVariables(environment)).toEqual([variable]);
    });

    it.each<[string, Environment, string]>([
      ['an http:// SMTP_URL', { SMTP_URL: 'http://smtp.example.com' }, 'SMTP_URL'],
      ['a bare SMTP host', { SMTP_URL: 'smtp.example.com:587' }, 'SMTP_URL'],
      ['an SMTP_URL without a host', { SMTP_URL: 'smtps://' }, 'SMTP_URL'],
      ['an SMTP_URL with only credentials', { SMTP_URL: 'smtp://user:pass@' }, 'SMTP_URL'],
      ['an SMTP_URL with a port out of range', { SMTP_URL: 'smtp://mail:99999' }, 'SMTP_URL'],
      ['an SMTP_URL with a named port', { SMTP_URL: 'smtp://mail:smtp' }, 'SMTP_URL'],
      ['an SMTP_URL with spaces', { SMTP_URL: 'smtp://mail host:25' }, 'SMTP_URL'],
      ['a MAIL_FROM without an address', { MAIL_FROM: 'Accounts' }, 'MAIL_FROM'],
      ['a MAIL_FROM with an unclosed address', { MAIL_FROM: 'Accounts <a@b.io' }, 'MAIL_FROM'],
      ['a MAIL_FROM with a header break', { MAIL_FROM: 'a@b.io\r\nBcc: x@y.io' }, 'MAIL_FROM'],
      ['a MAIL_FROM over 320 characters', { MAIL_FROM: `${'a'.repeat(320)}@b.io` }, 'MAIL_FROM'],
      ['an APP_URL without a scheme', { APP_URL: 'app.example.com' }, 'APP_URL'],
      ['an ftp:// APP_URL', { APP_URL: 'ftp://app.example.com' }, 'APP_URL'],
      ['an APP_URL with a query', { APP_URL: 'https://app.example.com/?a=1' }, 'APP_URL'],
      ['an APP_URL with a fragment', { APP_URL: 'https://app.example.com/#/' }, 'APP_URL'],
      ['an APP_URL with a port out of range', { APP_URL: 'http://app:70000' }, 'APP_URL'],
      ['an APP_URL without a host', { APP_URL: 'https://' }, 'APP_URL'],
      [
        'an OUTBOX_POLL_INTERVAL_MS under 100',
        { OUTBOX_POLL_INTERVAL_MS: '99' },
        'OUTBOX_POLL_INTERVAL_MS',
      ],
      [
        'an OUTBOX_POLL_INTERVAL_MS over a minute',
        { OUTBOX_POLL_INTERVAL_MS: '60001' },
        'OUTBOX_POLL_INTERVAL_MS',
      ],
      ['an OUTBOX_MAX_ATTEMPTS of zero', { OUTBOX_MAX_ATTEMPTS: '0' }, 'OUTBOX_MAX_ATTEMPTS'],
      ['an OUTBOX_MAX_ATTEMPTS over 50', { OUTBOX_MAX_ATTEMPTS: '51' }, 'OUTBOX_MAX_ATTEMPTS'],
      ['an OUTBOX_RETRY_BASE_MS under 100', { OUTBOX_RETRY_BASE_MS: '50' }, 'OUTBOX_RETRY_BASE_MS'],
      [
        'an OUTBOX_RETRY_BASE_MS over an hour',
        { OUTBOX_RETRY_BASE_MS: '3600001' },
        'OUTBOX_RETRY_BASE_MS',
      ],
      [
        'an OUTBOX_RETRY_BASE_MS in seconds',
        { OUTBOX_RETRY_BASE_MS: '30s' },
        'OUTBOX_RETRY_BASE_MS',
      ],
      [
        'a REQUIRE_VERIFIED_EMAIL that is not a boolean',
        { REQUIRE_VERIFIED_EMAIL: 'sometimes' },
        'REQUIRE_VERIFIED_EMAIL',
      ],
      ['a VERIFY_TOKEN_TTL under a minute', { VERIFY_TOKEN_TTL: '59' }, 'VERIFY_TOKEN_TTL'],
      ['a VERIFY_TOKEN_TTL over 30 days', { VERIFY_TOKEN_TTL: '2592001' }, 'VERIFY_TOKEN_TTL'],
      ['a RESET_TOKEN_TTL under a minute', { RESET_TOKEN_TTL: '30' }, 'RESET_TOKEN_TTL'],
      ['a RESET_TOKEN_TTL over a day', { RESET_TOKEN_TTL: '86401' }, 'RESET_TOKEN_TTL'],
      ['a RESET_TOKEN_TTL in minutes', { RESET_TOKEN_TTL: '30m' }, 'RESET_TOKEN_TTL'],
      ['an AUDIT_RETENTION_DAYS of zero', { AUDIT_RETENTION_DAYS: '0' }, 'AUDIT_RETENTION_DAYS'],
      [
        'an AUDIT_RETENTION_DAYS over 100 years',
        { AUDIT_RETENTION_DAYS: '36501' },
        'AUDIT_RETENTION_DAYS',
      ],
      ['an AUTH_COOKIES that is not a boolean', { AUTH_COOKIES: 'cookie' }, 'AUTH_COOKIES'],
      [
        'a RATE_LIMIT_ACCOUNT_MAIL_PER_MIN of zero',
        { RATE_LIMIT_ACCOUNT_MAIL_PER_MIN: '0' },
        'RATE_LIMIT_ACCOUNT_MAIL_PER_MIN',
      ],
      [
        'a fractional RATE_LIMIT_ACCOUNT_LINK_PER_MIN',
        { RATE_LIMIT_ACCOUNT_LINK_PER_MIN: '1.5' },
        'RATE_LIMIT_ACCOUNT_LINK_PER_MIN',
      ],
    ])('refuses %s', (_case, environment, variable) => {
      expect(refusedVariables(environment)).toEqual([variable]);
    });

    it('says what OTEL_EXPORTER_OTLP_ENDPOINT must look like', () => {
      expect(problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'otel-collector:4318' })).toEqual([
        'OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL with a host, e.g. http://otel-collector:4318',
      ]);
    });

    it('says what SMTP_URL, MAIL_FROM and APP_URL must look like', () => {
      expect(
        problemsOf({ SMTP_URL: 'mail.example.com', MAIL_FROM: 'Accounts', APP_URL: 'app' }).sort(),
      ).toEqual([
        'APP_URL must be an http:// or https:// URL with a host and no query or fragment, e.g. https://app.example.com',
        'MAIL_FROM must be an address or "Name <address>", e.g. Accounts <no-reply@example.com>',
        'SMTP_URL must be an smtp:// or smtps:// URL with a host, e.g. smtp://user:pass@host:587',
      ]);
    });

    it('names the variable and its bound when a number is out of range', () => {
      expect(problemsOf({ OUTBOX_MAX_ATTEMPTS: '0', RESET_TOKEN_TTL: '86401' }).sort()).toEqual([
        'OUTBOX_MAX_ATTEMPTS must not be less than 1',
        'RESET_TOKEN_TTL must not be greater than 86400',
      ]);
    });

    it('refuses ADMIN_EMAIL without ADMIN_PASSWORD', () => {
      expect(problemsOf({ ADMIN_EMAIL: 'admin@example.com' })).toEqual([
        'ADMIN_EMAIL and ADMIN_PASSWORD must be set together',
      ]);
    });

    it('refuses ADMIN_PASSWORD without ADMIN_EMAIL', () => {
      expect(problemsOf({ ADMIN_PASSWORD: 'correct horse battery' })).toEqual([
        'ADMIN_EMAIL and ADMIN_PASSWORD must be set together',
      ]);
    });

    it('refuses both JWT_PRIVATE_KEY and JWT_PRIVATE_KEY_FILE', () => {
      expect(
        problemsOf({ JWT_PRIVATE_KEY: 'pem', JWT_PRIVATE_KEY_FILE: '/run/secrets/jwt.pem' }),
      ).toEqual(['set only one of JWT_PRIVATE_KEY and JWT_PRIVATE_KEY_FILE']);
    });

    it('reports every invalid variable at once', () => {
      const environment = {
        PORT: 'http',
        LOG_LEVEL: 'loud',
        REDIS_URL: 'http://cache',
        METRICS_TOKEN: 'short',
      };
      expect(refusedVariables(environment).sort()).toEqual([
        'LOG_LEVEL',
        'METRICS_TOKEN',
        'PORT',
        'REDIS_URL',
      ]);
    });

    it('lists every problem in the error message', () => {
      const load = () =>
        loadAppConfig({ PORT: 'http', BODY_LIMIT: 'large', DOCS_ENABLED: 'maybe' });
      expect(load).toThrow(/^Invalid configuration:\n {2}- /);
      expect(load).toThrow(
        /- PORT .*\n[\s\S]*- BODY_LIMIT must look like 100kb[\s\S]*- DOCS_ENABLED /,
      );
    });
  });

  describe('in production', () => {
    it('accepts a complete production configuration', () => {
      const config = loadAppConfig(productionEnv());
      expect(config.isProduction).toBe(true);
      expect(config.database.url).toBe('postgres://app:secret@db:5432/app');
      expect(config.redis.topology).toEqual({ kind: 'single', url: 'redis://cache:6379' });
      expect(config.auth.privateKeyFile).toBe('/run/secrets/jwt-private.pem');
      expect(config.http.corsOrigins).toEqual(['https://app.example.com']);
    });

    it('does not run migrations, serve docs or skip the drain by default', () => {
      const config = loadAppConfig(productionEnv());
      expect(config.database.runMigrations).toBe(false);
      expect(config.docs.enabled).toBe(false);
      expect(config.shutdown.drainMs).toBe(5_000);
    });

    it('runs migrations and serves docs when asked explicitly', () => {
      const config = loadAppConfig(productionEnv({ MIGRATIONS_RUN: 'true', DOCS_ENABLED: 'yes' }));
      expect(config.database.runMigrations).toBe(true);
      expect(config.docs.enabled).toBe(true);
    });

    it('accepts an inline JWT_PRIVATE_KEY instead of a file', () => {
      const config = loadAppConfig(
        productionEnv({ JWT_PRIVATE_KEY_FILE: undefined, JWT_PRIVATE_KEY: 'pem' }),
      );
      expect(config.auth.privateKeyPem).toBe('pem');
    });

    it('refuses the embedded database', () => {
      expect(problemsOf(productionEnv({ DATABASE_URL: undefined }))).toEqual([
        'DATABASE_URL is required in production (the embedded database is refused)',
      ]);
    });

    it('refuses to run without Redis', () => {
      expect(refusedVariables(productionEnv({ REDIS_URL: '' }))).toEqual(['REDIS_URL']);
    });

    it('refuses generated development JWT keys', () => {
      expect(refusedVariables(productionEnv({ JWT_PRIVATE_KEY_FILE: undefined }))).toEqual([
        'JWT_PRIVATE_KEY',
      ]);
    });

    it('refuses a wildcard CORS origin', () => {
      expect(
        refusedVariables(productionEnv({ CORS_ORIGINS: 'https://app.example.com, *' })),
      ).toEqual(['CORS_ORIGINS']);
    });

    it('refuses to run without SMTP_URL, which would only write .eml files', () => {
      expect(problemsOf(productionEnv({ SMTP_URL: undefined }))).toEqual([
        'SMTP_URL is required in production (development delivery only writes .eml files)',
      ]);
      expect(refusedVariables(productionEnv({ SMTP_URL: ' ' }))).toEqual(['SMTP_URL']);
    });

    it('refuses to run without APP_URL, which would link mails to localhost', () => {
      expect(problemsOf(productionEnv({ APP_URL: undefined }))).toEqual([
        'APP_URL is required in production (the links in account mails point at it)',
      ]);
      expect(refusedVariables(productionEnv({ APP_URL: '' }))).toEqual(['APP_URL']);
    });

    it('reports a malformed SMTP_URL or APP_URL once, not also as missing', () => {
      expect(
        refusedVariables(productionEnv({ SMTP_URL: 'mail:25', APP_URL: 'app.example.com' })).sort(),
      ).toEqual(['APP_URL', 'SMTP_URL']);
      expect(problemsOf(productionEnv({ SMTP_URL: 'mail:25', APP_URL: 'x' }))).toHaveLength(2);
    });

    it('refuses an http:// APP_URL other than localhost: the links carry reset tokens', () => {
      expect(problemsOf(productionEnv({ APP_URL: 'http://app.example.com' }))).toEqual([
        'APP_URL must be https:// in production (the links carry reset tokens); http:// only for localhost',
      ]);
      for (const local of ['http://localhost:8080', 'http://127.0.0.1:3000/app']) {
        expect(loadAppConfig(productionEnv({ APP_URL: local })).account.appUrl).toBe(local);
      }
    });

    it('accepts ?tls=optional as the only SMTP_URL option', () => {
      const url = 'smtp://mailpit:1025?tls=optional';
      expect(loadAppConfig(productionEnv({ SMTP_URL: url })).mail.smtpUrl).toBe(url);
      expect(refusedVariables(productionEnv({ SMTP_URL: 'smtp://mailpit:1025?tls=off' }))).toEqual([
        'SMTP_URL',
      ]);
      expect(refusedVariables(productionEnv({ SMTP_URL: 'smtp://m:25#x' }))).toEqual(['SMTP_URL']);
    });

    it('sends mail over SMTP and links to APP_URL', () => {
      const config = loadAppConfig(productionEnv());
      expect(config.mail.smtpUrl).toBe('smtp://mailer:secret@smtp.example.com:587');
      expect(config.account.appUrl).toBe('https://app.example.com');
    });

    it('refuses TRUST_PROXY=true, which lets any client pick its address', () => {
      expect(refusedVariables(productionEnv({ TRUST_PROXY: 'true' }))).toEqual(['TRUST_PROXY']);
      expect(refusedVariables(productionEnv({ TRUST_PROXY: ' TRUE ' }))).toEqual(['TRUST_PROXY']);
    });

    it.each([
      ['1', 1],
      ['loopback, 10.0.0.0/8', ['loopback', '10.0.0.0/8']],
      ['false', false],
    ])('accepts TRUST_PROXY %p', (raw, expected) => {
      expect(loadAppConfig(productionEnv({ TRUST_PROXY: raw })).http.trustProxy).toEqual(expected);
    });

    it('accepts TRUST_PROXY=true outside production', () => {
      expect(loadAppConfig({ TRUST_PROXY: 'true' }).http.trustProxy).toBe(true);
    });

    it('accepts a wildcard CORS origin outside production', () => {
      expect(loadAppConfig({ CORS_ORIGINS: '*' }).http.corsOrigins).toEqual(['*']);
    });

    it('reports every missing production requirement at once', () => {
      expect(refusedVariables({ NODE_ENV: 'production', CORS_ORIGINS: '*' }).sort()).toEqual([
        'APP_URL',
        'CORS_ORIGINS',
        'DATABASE_URL',
        'JWT_PRIVATE_KEY',
        'REDIS_URL',
        'SMTP_URL',
      ]);
    });
  });
});

describe('argon2 parameters (ARGON2_*)', () => {
  const production = (overrides: Environment = {}): Environment =>
    productionEnv({
      SMTP_URL: 'smtp://mail:587',
      APP_URL: 'https://app.example.com',
      ...overrides,
    });

  it("defaults to OWASP's minimum: 19456 KiB, 2 iterations, 1 lane", () => {
    expect(loadAppConfig({}).passwordHashing).toEqual({
      memoryKib: 19_456,
      timeCost: 2,
      parallelism: 1,
    });
  });

  it('reads ARGON2_MEMORY_KIB, ARGON2_TIME_COST and ARGON2_PARALLELISM', () => {
    const config = loadAppConfig({
      ARGON2_MEMORY_KIB: '65536',
      ARGON2_TIME_COST: '3',
      ARGON2_PARALLELISM: '4',
    });
    expect(config.passwordHashing).toEqual({ memoryKib: 65_536, timeCost: 3, parallelism: 4 });
  });

  it('accepts parameters below the minimum outside production (fast tests)', () => {
    const config = loadAppConfig({ ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' });
    expect(config.passwordHashing).toEqual({ memoryKib: 1024, timeCost: 1, parallelism: 1 });
  });

  it.each([
    ['ARGON2_MEMORY_KIB', '262145'],
    ['ARGON2_MEMORY_KIB', '7'],
    ['ARGON2_MEMORY_KIB', '19mb'],
    ['ARGON2_TIME_COST', '0'],
    ['ARGON2_TIME_COST', '11'],
    ['ARGON2_PARALLELISM', '0'],
    ['ARGON2_PARALLELISM', '9'],
  ])('refuses %s=%s everywhere', (name, value) => {
    expect(refusedVariables({ [name]: value })).toEqual([name]);
  });

  it('refuses less than 8 KiB of memory per lane', () => {
    expect(refusedVariables({ ARGON2_MEMORY_KIB: '32', ARGON2_PARALLELISM: '8' })).toEqual([
      'ARGON2_MEMORY_KIB',
    ]);
  });

  it('accepts the minimum and stronger parameters in production', () => {
    expect(loadAppConfig(production()).passwordHashing.memoryKib).toBe(19_456);
    const stronger = loadAppConfig(
      production({ ARGON2_MEMORY_KIB: '47104', ARGON2_TIME_COST: '3', ARGON2_PARALLELISM: '2' }),
    );
    expect(stronger.passwordHashing).toEqual({ memoryKib: 47_104, timeCost: 3, parallelism: 2 });
  });

  it.each([
    ['less memory', { ARGON2_MEMORY_KIB: '19455' }, ['ARGON2_MEMORY_KIB']],
    ['a single iteration', { ARGON2_TIME_COST: '1' }, ['ARGON2_TIME_COST']],
    [
      'both',
      { ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1' },
      ['ARGON2_MEMORY_KIB', 'ARGON2_TIME_COST'],
    ],
  ])("refuses %s than OWASP's minimum in production", (_case, overrides, refused) => {
    expect(refusedVariables(production(overrides))).toEqual(refused);
    expect(problemsOf(production(overrides)).join('\n')).toMatch(/OWASP's minimum/);
  });
});

describe('browser cookie mode (AUTH_COOKIES)', () => {
  it('is off by default', () => {
    expect(loadAppConfig({}).account.cookies).toBe(false);
  });

  it('is on with an explicit CORS_ORIGINS list, which the Origin check uses', () => {
    const config = loadAppConfig({
      AUTH_COOKIES: 'true',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
    });
    expect(config.account.cookies).toBe(true);
    expect(config.account.corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
  });

  it.each([
    ['no CORS_ORIGINS', {}],
    ['CORS_ORIGINS=*', { CORS_ORIGINS: '*' }],
    ['a list with *', { CORS_ORIGINS: 'https://app.example.com,*' }],
  ])('refuses AUTH_COOKIES=true with %s, in every environment', (_case, overrides) => {
    expect(refusedVariables({ AUTH_COOKIES: 'true', ...overrides })).toEqual(['CORS_ORIGINS']);
    expect(refusedVariables({ NODE_ENV: 'test', AUTH_COOKIES: 'true', ...overrides })).toEqual([
      'CORS_ORIGINS',
    ]);
  });

  it('leaves a wildcard CORS_ORIGINS alone without cookie mode outside production', () => {
    expect(loadAppConfig({ AUTH_COOKIES: 'false', CORS_ORIGINS: '*' }).account.cookies).toBe(false);
  });
});
