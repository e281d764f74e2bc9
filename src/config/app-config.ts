import { join } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import {
  type DATABASE_POOLERS,
  EnvironmentVariables,
  type LOG_LEVELS,
  type NODE_ENVIRONMENTS,
} from './env.schema.js';
import { type RedisConfig, redisConfigOf } from './redis-config.js';
import { type TracingConfig, tracingConfigOf } from './tracing-config.js';

export type { RedisConfig } from './redis-config.js';

export type NodeEnvironment = (typeof NODE_ENVIRONMENTS)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];
export type DatabasePooler = (typeof DATABASE_POOLERS)[number];
export type TrustProxy = boolean | number | string[];

/** `DATA_DIR=:memory:` keeps nothing on disk (embedded database and development keys). */
export const IN_MEMORY_DATA_DIR = ':memory:';

export interface HttpConfig {
  port: number;
  host: string;
  bodyLimit: string;
  corsOrigins: string[];
  allowedHosts: string[];
  trustProxy: TrustProxy;
}

export interface DatabaseConfig {
  /** Undefined means embedded PGlite. */
  url: string | undefined;
  /**
   * `transaction`: `url` is a transaction-mode pooler (PgBouncer `pool_mode = transaction`), which
   * keeps no session between transactions and refuses startup parameters.
   */
  pooler: DatabasePooler;
  /**
   * A connection with a session of its own (PostgreSQL or a session-mode pooler) for what a
   * transaction-mode pooler cannot carry: the session-level advisory locks of migrations and the
   * purge. Set (and required) with `pooler: 'transaction'`.
   */
  directUrl: string | undefined;
  dataDir: string;
  poolSize: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  slowQueryMs: number;
  runMigrations: boolean;
}

export interface AuthConfig {
  privateKeyPem: string | undefined;
  privateKeyFile: string | undefined;
  publicKeysFile: string | undefined;
  issuer: string;
  audience: string;
  accessTokenTtlS: number;
  refreshTokenTtlS: number;
  refreshReuseGraceS: number;
  /** Absolute: from sign-in, however often the session is refreshed. */
  sessionMaxAgeS: number;
  /** How often a replica runs the session purge; 0: never (a CronJob runs the CLI instead). */
  sessionPurgeIntervalS: number;
}

/** The lifetimes of tokens and sessions, which the application and the purge CLI both read. */
export type SessionLifetimes = Pick<
  AuthConfig,
  | 'accessTokenTtlS'
  | 'refreshTokenTtlS'
  | 'refreshReuseGraceS'
  | 'sessionMaxAgeS'
  | 'sessionPurgeIntervalS'
>;

export interface RateLimitConfig {
  enabled: boolean;
  loginPerMinute: number;
  /** Failures of one account from one client address (IPv6 /64) before that pair is locked. */
  loginFailuresPerAddress: number;
  /** Failures of one account from all addresses before only clean addresses may try. */
  loginFailuresPerAccount: number;
  loginFailureWindowS: number;
  registerPerMinute: number;
  refreshPerMinute: number;
  /** Password changes per minute, per user and per client address. */
  passwordPerMinute: number;
  /**
   * Requests that send account mail (verification resend, password forgot, email change) per
   * minute, per client address and per account.
   */
  accountMailPerMinute: number;
  /** Uses of mailed links (verify, reset, email change confirm) per minute, per client address. */
  accountLinkPerMinute: number;
}

export interface MailConfig {
  /** Undefined means development delivery: each message written as an .eml file and logged. */
  smtpUrl: string | undefined;
  from: string;
  /** Where development delivery writes .eml files; undefined with DATA_DIR=:memory: (log only). */
  outboxDir: string | undefined;
  pollIntervalMs: number;
  /** Attempts before a message is marked failed. */
  maxAttempts: number;
  /** First retry delay; each further attempt doubles it (capped at an hour). */
  retryBaseMs: number;
}

export interface AccountConfig {
  /** The front end the links in mails point at (`APP_URL/verify-email?token=...`). */
  appUrl: string;
  requireVerifiedEmail: boolean;
  /** Lifetime of email verification and email change links. */
  verifyTokenTtlS: number;
  resetTokenTtlS: number;
  /** Refresh token also set as an HttpOnly cookie; cookie requests need an allowed Origin. */
  cookies: boolean;
  corsOrigins: string[];
}

/** argon2id parameters for new hashes; a login re-hashes a password stored with others. */
export interface PasswordHashingConfig {
  memoryKib: number;
  timeCost: number;
  parallelism: number;
}

export interface AuditConfig {
  retentionDays: number;
}

export interface CacheConfig {
  ttlS: number;
}

export interface MetricsConfig {
  token: string | undefined;
}

export interface ShutdownConfig {
  drainMs: number;
  timeoutMs: number;
}

export interface AdminConfig {
  email: string | undefined;
  password: string | undefined;
}

export interface AppConfig {
  env: NodeEnvironment;
  isProduction: boolean;
  logLevel: LogLevel;
  dataDir: string;
  http: HttpConfig;
  database: DatabaseConfig;
  redis: RedisConfig;
  auth: AuthConfig;
  cache: CacheConfig;
  rateLimit: RateLimitConfig;
  metrics: MetricsConfig;
  docs: { enabled: boolean };
  shutdown: ShutdownConfig;
  admin: AdminConfig;
  mail: MailConfig;
  account: AccountConfig;
  audit: AuditConfig;
  passwordHashing: PasswordHashingConfig;
  /** Undefined: tracing off. Started by src/main.ts before the application loads. */
  tracing: TracingConfig | undefined;
}

/** Injection token for the validated configuration. */
export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

const splitList = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

/** `example.com:3000` and `[::1]:3000` lose their port; a bare IPv6 address is left alone. */
const withoutPort = (host: string): string =>
  /^[^:]+:\d+$/.test(host) || /^\[.+\]:\d+$/.test(host) ? host.replace(/:\d+$/, '') : host;

function parseTrustProxy(value: string | undefined): TrustProxy {
  const raw = (value ?? 'false').trim().toLowerCase();
  if (raw === 'true') return true;
  if (raw === 'false' || raw === '') return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  return splitList(raw);
}

function flattenErrors(errors: ValidationError[]): string[] {
  return errors.flatMap((error) =>
    Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property) ? message : `${error.property}: ${message}`,
    ),
  );
}

/** The environment checked against the schema: typed values and every problem found. */
export function parseEnvironment(environment: Record<string, string | undefined>): {
  env: EnvironmentVariables;
  problems: string[];
} {
  // An empty value (`PORT=` in a compose file) means "unset", for every variable alike.
  const present = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const env = plainToInstance(EnvironmentVariables, present);
  const problems = flattenErrors(
    validateSync(env, {
      whitelist: true,
      forbidUnknownValues: false,
      skipMissingProperties: false,
    }),
  );
  return { env, problems };
}

export const EMBEDDED_DATABASE_REFUSED =
  'DATABASE_URL is required in production (the embedded database is refused)';

/** Problems of the database settings beyond what the schema checks alone. */
export function databaseProblemsOf(env: EnvironmentVariables, isProduction: boolean): string[] {
  const problems: string[] = [];
  if (isProduction && !env.DATABASE_URL) problems.push(EMBEDDED_DATABASE_REFUSED);
  if (env.DATABASE_POOLER === 'transaction' && !(env.DATABASE_URL && env.DATABASE_DIRECT_URL)) {
    problems.push(
      'DATABASE_POOLER=transaction needs DATABASE_URL (the pooler) and DATABASE_DIRECT_URL (a direct or session-mode connection for migrations and advisory locks)',
    );
  }
  return problems;
}

export function databaseConfigOf(
  env: EnvironmentVariables,
  dataDir: string,
  isProduction: boolean,
): DatabaseConfig {
  return {
    url: env.DATABASE_URL,
    pooler: env.DATABASE_POOLER ?? 'none',
    directUrl: env.DATABASE_POOLER === 'transaction' ? env.DATABASE_DIRECT_URL : undefined,
    dataDir,
    poolSize: env.DB_POOL_SIZE ?? 10,
    statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS ?? 10_000,
    connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS ?? 5_000,
    slowQueryMs: env.DB_SLOW_QUERY_MS ?? 500,
    runMigrations: env.MIGRATIONS_RUN ?? !isProduction,
  };
}

export function sessionLifetimesOf(env: EnvironmentVariables): SessionLifetimes {
  return {
    accessTokenTtlS: env.ACCESS_TOKEN_TTL ?? 900,
    refreshTokenTtlS: env.REFRESH_TOKEN_TTL ?? 30 * 24 * 3600,
    refreshReuseGraceS: env.REFRESH_REUSE_GRACE_S ?? 10,
    sessionMaxAgeS: env.SESSION_MAX_AGE ?? 90 * 24 * 3600,
    sessionPurgeIntervalS: env.SESSION_PURGE_INTERVAL ?? 3600,
  };
}

/** OWASP's minimum for argon2id (19 MiB, 2 iterations, 1 lane), also the default. */
export const ARGON2_MINIMUM: PasswordHashingConfig = {
  memoryKib: 19_456,
  timeCost: 2,
  parallelism: 1,
};

export function passwordHashingConfigOf(env: EnvironmentVariables): PasswordHashingConfig {
  return {
    memoryKib: env.ARGON2_MEMORY_KIB ?? ARGON2_MINIMUM.memoryKib,
    timeCost: env.ARGON2_TIME_COST ?? ARGON2_MINIMUM.timeCost,
    parallelism: env.ARGON2_PARALLELISM ?? ARGON2_MINIMUM.parallelism,
  };
}

export function auditConfigOf(env: EnvironmentVariables): AuditConfig {
  return { retentionDays: env.AUDIT_RETENTION_DAYS ?? 365 };
}

/**
 * Validates the environment and returns the typed configuration. Every problem is reported at once,
 * so a misconfigured deployment fails fast with the whole list rather than one error per restart.
 */
export function loadAppConfig(environment: Record<string, string | undefined>): AppConfig {
  const { env, problems } = parseEnvironment(environment);

  const nodeEnv: NodeEnvironment = env.NODE_ENV ?? 'development';
  const isProduction = nodeEnv === 'production';
  const corsOrigins = splitList(env.CORS_ORIGINS);
  const trustProxy = parseTrustProxy(env.TRUST_PROXY);

  problems.push(...databaseProblemsOf(env, isProduction));
  if (isProduction) {
    if (!env.REDIS_URL && !env.REDIS_CLUSTER_NODES && !env.REDIS_SENTINELS) {
      problems.push(
        'REDIS_URL (or REDIS_CLUSTER_NODES, or REDIS_SENTINELS) is required in production (replicas must share cache invalidation, revocations and rate limits)',
      );
    }
    if (!env.JWT_PRIVATE_KEY && !env.JWT_PRIVATE_KEY_FILE) {
      problems.push(
        'JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE is required in production (generated development keys are refused)',
      );
    }
    if (corsOrigins.includes('*')) {
      problems.push('CORS_ORIGINS must list origins in production; the wildcard "*" is refused');
    }
    if (!env.SMTP_URL) {
      problems.push(
        'SMTP_URL is required in production (development delivery only writes .eml files)',
      );
    }
    if (!env.APP_URL) {
      problems.push('APP_URL is required in production (the links in account mails point at it)');
    } else if (
      /^http:\/\//i.test(env.APP_URL) &&
      !/^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?(\/|$)/i.test(env.APP_URL)
    ) {
      problems.push(
        'APP_URL must be https:// in production (the links carry reset tokens); http:// only for localhost',
      );
    }
    // OWASP's minimum for argon2id; its other trade-offs (less memory, more iterations) are not
    // offered, to keep the rule one line in the README.
    const hashing = passwordHashingConfigOf(env);
    if (hashing.memoryKib < ARGON2_MINIMUM.memoryKib) {
      problems.push(
        `ARGON2_MEMORY_KIB must be at least ${ARGON2_MINIMUM.memoryKib} in production (OWASP's minimum for argon2id)`,
      );
    }
    if (hashing.timeCost < ARGON2_MINIMUM.timeCost) {
      problems.push(
        `ARGON2_TIME_COST must be at least ${ARGON2_MINIMUM.timeCost} in production (OWASP's minimum for argon2id)`,
      );
    }
    if (trustProxy === true) {
      problems.push(
        'TRUST_PROXY must be a hop count or the proxy addresses/CIDRs in production; "true" is refused (any client could pick its IP through X-Forwarded-For)',
      );
    }
  }
  if (env.JWT_PRIVATE_KEY && env.JWT_PRIVATE_KEY_FILE) {
    problems.push('set only one of JWT_PRIVATE_KEY and JWT_PRIVATE_KEY_FILE');
  }
  if (
    env.ARGON2_MEMORY_KIB !== undefined &&
    env.ARGON2_MEMORY_KIB < 8 * (env.ARGON2_PARALLELISM ?? ARGON2_MINIMUM.parallelism)
  ) {
    problems.push('ARGON2_MEMORY_KIB must be at least 8 KiB per lane (8 × ARGON2_PARALLELISM)');
  }
  if (env.AUTH_COOKIES === true && (corsOrigins.length === 0 || corsOrigins.includes('*'))) {
    problems.push(
      'CORS_ORIGINS must list the front-end origins when AUTH_COOKIES=true ("*" and empty are refused): requests carrying the refresh cookie are accepted only from them',
    );
  }
  if ((env.ADMIN_EMAIL === undefined) !== (env.ADMIN_PASSWORD === undefined)) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  const redis = redisConfigOf(env, problems);
  if (problems.length > 0) throw new ConfigValidationError(problems);

  const dataDir = env.DATA_DIR ?? '.data';
  return {
    env: nodeEnv,
    isProduction,
    logLevel: env.LOG_LEVEL ?? 'info',
    dataDir,
    http: {
      port: env.PORT ?? 3000,
      host: env.HOST ?? '0.0.0.0',
      bodyLimit: env.BODY_LIMIT ?? '100kb',
      corsOrigins,
      // Requests are matched on the hostname alone, so a configured port is dropped too.
      allowedHosts: splitList(env.ALLOWED_HOSTS).map((host) => withoutPort(host.toLowerCase())),
      trustProxy,
    },
    database: databaseConfigOf(env, dataDir, isProduction),
    redis,
    auth: {
      privateKeyPem: env.JWT_PRIVATE_KEY?.replace(/\\n/g, '\n'),
      privateKeyFile: env.JWT_PRIVATE_KEY_FILE,
      publicKeysFile: env.JWT_PUBLIC_KEYS_FILE,
      issuer: env.JWT_ISSUER ?? 'user-auth-service',
      audience: env.JWT_AUDIENCE ?? 'user-auth-service',
      ...sessionLifetimesOf(env),
    },
    cache: { ttlS: env.CACHE_TTL ?? 60 },
    rateLimit: {
      enabled: env.RATE_LIMIT_ENABLED ?? true,
      loginPerMinute: env.RATE_LIMIT_LOGIN_PER_MIN ?? 10,
      loginFailuresPerAddress: env.RATE_LIMIT_LOGIN_FAILURES ?? 5,
      loginFailuresPerAccount: env.RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT ?? 50,
      loginFailureWindowS: 15 * 60,
      registerPerMinute: env.RATE_LIMIT_REGISTER_PER_MIN ?? 10,
      refreshPerMinute: env.RATE_LIMIT_REFRESH_PER_MIN ?? 60,
      passwordPerMinute: env.RATE_LIMIT_PASSWORD_PER_MIN ?? 5,
      accountMailPerMinute: env.RATE_LIMIT_ACCOUNT_MAIL_PER_MIN ?? 5,
      accountLinkPerMinute: env.RATE_LIMIT_ACCOUNT_LINK_PER_MIN ?? 20,
    },
    metrics: { token: env.METRICS_TOKEN },
    docs: { enabled: env.DOCS_ENABLED ?? !isProduction },
    shutdown: {
      drainMs: env.SHUTDOWN_DRAIN_MS ?? (isProduction ? 5_000 : 0),
      timeoutMs: env.SHUTDOWN_TIMEOUT_MS ?? 15_000,
    },
    admin: { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD },
    mail: {
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM ?? 'User Auth Service <no-reply@localhost>',
      outboxDir: dataDir === IN_MEMORY_DATA_DIR ? undefined : join(dataDir, 'outbox'),
      pollIntervalMs: env.OUTBOX_POLL_INTERVAL_MS ?? 1000,
      maxAttempts: env.OUTBOX_MAX_ATTEMPTS ?? 8,
      retryBaseMs: env.OUTBOX_RETRY_BASE_MS ?? 30_000,
    },
    account: {
      appUrl: (env.APP_URL ?? 'http://localhost:3000').replace(/\/+$/, ''),
      requireVerifiedEmail: env.REQUIRE_VERIFIED_EMAIL ?? false,
      verifyTokenTtlS: env.VERIFY_TOKEN_TTL ?? 24 * 3600,
      resetTokenTtlS: env.RESET_TOKEN_TTL ?? 30 * 60,
      cookies: env.AUTH_COOKIES ?? false,
      corsOrigins,
    },
    audit: auditConfigOf(env),
    passwordHashing: passwordHashingConfigOf(env),
    tracing: tracingConfigOf(env),
  };
}

/** The only place that reads `process.env`. */
export function readProcessEnvironment(): Record<string, string | undefined> {
  return process.env;
}
