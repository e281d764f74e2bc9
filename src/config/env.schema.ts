import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
} from 'class-validator';
import { passwordPolicyViolation } from '../common/security/password-policy.js';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const normalized = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalized)) return true;
  if (['false', '0', 'no', 'off'].includes(normalized)) return false;
  return value;
};

/**
 * A URL of one of `protocols` that the WHATWG parser accepts, with a host: the transports and the
 * link builder parse it with `new URL`, so a value a regex lets through (a bad port) fails here.
 */
function IsUrlOf(
  protocols: string[],
  options: { message: string; noQuery?: boolean },
): PropertyDecorator {
  return ValidateBy({
    name: 'isUrlOf',
    validator: {
      validate: (value: unknown) => {
        if (typeof value !== 'string' || /\s/.test(value)) return false;
        if (!protocols.some((protocol) => value.toLowerCase().startsWith(`${protocol}//`))) {
          return false;
        }
        if (options.noQuery && /[?#]/.test(value)) return false;
        try {
          return new URL(value).hostname !== '';
        } catch {
          return false;
        }
      },
      defaultMessage: () => options.message,
    },
  });
}

export const NODE_ENVIRONMENTS = ['development', 'production', 'test'] as const;
/** What DATABASE_URL points at: PostgreSQL (or a session-mode pooler), or a transaction-mode pooler. */
export const DATABASE_POOLERS = ['none', 'transaction'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Every environment variable the service reads, with its rules. Defaults live in `app-config.ts`. */
export class EnvironmentVariables {
  @IsOptional() @IsIn(NODE_ENVIRONMENTS) NODE_ENV?: (typeof NODE_ENVIRONMENTS)[number];
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT?: number;
  @IsOptional() @IsString() HOST?: string;
  @IsOptional() @IsIn(LOG_LEVELS) LOG_LEVEL?: (typeof LOG_LEVELS)[number];
  @IsOptional() @IsString() @MinLength(1) DATA_DIR?: string;

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;
  @IsOptional() @IsIn(DATABASE_POOLERS) DATABASE_POOLER?: (typeof DATABASE_POOLERS)[number];
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_DIRECT_URL must be a postgres:// URL' })
  DATABASE_DIRECT_URL?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(200) DB_POOL_SIZE?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(600_000) DB_STATEMENT_TIMEOUT_MS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(120_000) DB_CONNECT_TIMEOUT_MS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(600_000) DB_SLOW_QUERY_MS?: number;
  @IsOptional() @Transform(toBoolean) @IsBoolean() MIGRATIONS_RUN?: boolean;

  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;
  /** Seed nodes of a Redis Cluster; parsed (and reported) by `redisConfigOf`. */
  @IsOptional() @IsString() REDIS_CLUSTER_NODES?: string;
  /** Sentinels watching the master named REDIS_SENTINEL_NAME; parsed by `redisConfigOf`. */
  @IsOptional() @IsString() REDIS_SENTINELS?: string;
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,64}$/, {
    message: 'REDIS_SENTINEL_NAME must be 1-64 characters of A-Z a-z 0-9 . _ -',
  })
  REDIS_SENTINEL_NAME?: string;
  @IsOptional()
  @Matches(/^[A-Za-z0-9:_-]{1,64}$/, {
    message: 'REDIS_KEY_PREFIX must be 1-64 characters of A-Z a-z 0-9 : _ -',
  })
  REDIS_KEY_PREFIX?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(10) @Max(10_000) REDIS_COMMAND_TIMEOUT_MS?: number;

  @IsOptional() @IsString() JWT_PRIVATE_KEY?: string;
  @IsOptional() @IsString() JWT_PRIVATE_KEY_FILE?: string;
  @IsOptional() @IsString() JWT_PUBLIC_KEYS_FILE?: string;
  @IsOptional() @IsString() @MinLength(1) @MaxLength(255) JWT_ISSUER?: string;
  @IsOptional() @IsString() @MinLength(1) @MaxLength(255) JWT_AUDIENCE?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(86_400) ACCESS_TOKEN_TTL?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(60) @Max(31_536_000) REFRESH_TOKEN_TTL?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(300) REFRESH_REUSE_GRACE_S?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(60) @Max(31_536_000) SESSION_MAX_AGE?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(604_800) SESSION_PURGE_INTERVAL?: number;

  @IsOptional() @IsString() CORS_ORIGINS?: string;
  @IsOptional() @IsString() ALLOWED_HOSTS?: string;
  @IsOptional()
  @Matches(/^(true|false|\d+|[\w.:/,\s-]+)$/i, {
    message: 'TRUST_PROXY must be true, false, a hop count or a comma list of addresses/CIDRs',
  })
  TRUST_PROXY?: string;
  @IsOptional()
  @Matches(/^\d+(b|kb|mb)?$/i, { message: 'BODY_LIMIT must look like 100kb, 1mb or 2048' })
  BODY_LIMIT?: string;

  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(86_400) CACHE_TTL?: number;

  @IsOptional() @Transform(toBoolean) @IsBoolean() RATE_LIMIT_ENABLED?: boolean;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) RATE_LIMIT_LOGIN_PER_MIN?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) RATE_LIMIT_LOGIN_FAILURES?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) RATE_LIMIT_REGISTER_PER_MIN?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) RATE_LIMIT_REFRESH_PER_MIN?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) RATE_LIMIT_PASSWORD_PER_MIN?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) RATE_LIMIT_ACCOUNT_MAIL_PER_MIN?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) RATE_LIMIT_ACCOUNT_LINK_PER_MIN?: number;

  @IsOptional()
  @IsUrlOf(['smtp:', 'smtps:'], {
    message:
      'SMTP_URL must be an smtp:// or smtps:// URL with a host, e.g. smtp://user:pass@host:587',
  })
  @Matches(/^[^?#]*(\?tls=optional)?$/, {
    message: 'SMTP_URL takes one option, ?tls=optional (plaintext allowed to a remote relay)',
  })
  SMTP_URL?: string;
  @IsOptional()
  @MaxLength(320)
  @Matches(/^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/, {
    message:
      'MAIL_FROM must be an address or "Name <address>", e.g. Accounts <no-reply@example.com>',
  })
  MAIL_FROM?: string;
  @IsOptional()
  @IsUrlOf(['http:', 'https:'], {
    message:
      'APP_URL must be an http:// or https:// URL with a host and no query or fragment, e.g. https://app.example.com',
    noQuery: true,
  })
  APP_URL?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(60_000) OUTBOX_POLL_INTERVAL_MS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(50) OUTBOX_MAX_ATTEMPTS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(3_600_000) OUTBOX_RETRY_BASE_MS?: number;

  @IsOptional() @Transform(toBoolean) @IsBoolean() REQUIRE_VERIFIED_EMAIL?: boolean;
  @IsOptional() @Transform(toInt) @IsInt() @Min(60) @Max(2_592_000) VERIFY_TOKEN_TTL?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(60) @Max(86_400) RESET_TOKEN_TTL?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(36_500) AUDIT_RETENTION_DAYS?: number;
  @IsOptional() @Transform(toBoolean) @IsBoolean() AUTH_COOKIES?: boolean;

  // Upper bounds: each login holds this much memory per hash, up to the libuv pool size at once.
  @IsOptional() @Transform(toInt) @IsInt() @Min(8) @Max(262_144) ARGON2_MEMORY_KIB?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(10) ARGON2_TIME_COST?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(8) ARGON2_PARALLELISM?: number;

  @IsOptional() @IsString() @MinLength(16) METRICS_TOKEN?: string;
  @IsOptional()
  @IsUrlOf(['http:', 'https:'], {
    message:
      'OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL with a host, e.g. http://otel-collector:4318',
  })
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  @IsOptional() @IsString() @MinLength(1) @MaxLength(255) OTEL_SERVICE_NAME?: string;
  @IsOptional() @Transform(toBoolean) @IsBoolean() DOCS_ENABLED?: boolean;
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(120_000) SHUTDOWN_DRAIN_MS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(600_000) SHUTDOWN_TIMEOUT_MS?: number;

  @IsOptional() @IsEmail() ADMIN_EMAIL?: string;
  @IsOptional()
  @IsString()
  @ValidateBy({
    name: 'passwordPolicy',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && passwordPolicyViolation(value) === undefined,
      defaultMessage: (args) =>
        passwordPolicyViolation(String(args?.value), 'ADMIN_PASSWORD') ??
        'ADMIN_PASSWORD must be a string',
    },
  })
  ADMIN_PASSWORD?: string;
}
