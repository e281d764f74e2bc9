import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { afterAll, beforeAll } from '@jest/globals';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { DestinationStream } from 'pino';
import { AppModule } from '../../src/app.module.js';
import { APP_CONFIG, type AppConfig } from '../../src/config/app-config.js';
import { ENVIRONMENT } from '../../src/config/config.module.js';
import { createLoggers } from '../../src/logging/logger.factory.js';
import { LOGGERS } from '../../src/logging/logging.module.js';
import { setupApp } from '../../src/setup-app.js';
import { BuiltService } from './built-service.js';
import { TEST_REDIS_URL } from './environment.js';
import { TestDatabase } from './test-database.js';
import { TestRedisKeyspace } from './test-redis.js';

export type Environment = Record<string, string | undefined>;

export interface TestApp {
  app: NestExpressApplication;
  server: Server;
  close(): Promise<void>;
}

/** What a test reads from a started application (a `TestApp` or a `useTestApp` handle). */
export type RunningApp = Pick<TestApp, 'app' | 'server'>;

export interface StartOptions {
  /** Where the application's log lines go (stdout otherwise), e.g. a `CapturedLogs`. */
  logs?: DestinationStream;
}

/** Builds the production application (AppModule + setupApp) on the given environment. */
export async function startApp(env: Environment, options: StartOptions = {}): Promise<TestApp> {
  const builder = Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(ENVIRONMENT)
    .useValue(env);
  const { logs } = options;
  if (logs) {
    builder.overrideProvider(LOGGERS).useFactory({
      inject: [APP_CONFIG],
      factory: (config: AppConfig) => createLoggers(config, logs),
    });
  }
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({
    bodyParser: false,
    bufferLogs: true,
  });
  setupApp(app);
  await app.init();
  return { app, server: app.getHttpServer(), close: () => app.close() };
}

/**
 * Everything one test file needs: its own database, Redis key space and data directory, and
 * applications built on them (several share them, like replicas).
 */
export class TestEnvironment {
  private readonly apps: TestApp[] = [];
  private readonly builtServices: BuiltService[] = [];

  private constructor(
    readonly database: TestDatabase,
    readonly redis: TestRedisKeyspace,
    readonly dataDir: string,
  ) {}

  static async create(): Promise<TestEnvironment> {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'uas-test-'));
    return new TestEnvironment(await TestDatabase.create(), new TestRedisKeyspace(), dataDir);
  }

  get env(): Environment {
    return {
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      DATA_DIR: this.dataDir,
      DATABASE_URL: this.database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: this.redis.prefix,
      // Generous limits: suites sign in many times from one address; the limit suite lowers them.
      RATE_LIMIT_LOGIN_PER_MIN: '10000',
      RATE_LIMIT_REGISTER_PER_MIN: '10000',
      RATE_LIMIT_REFRESH_PER_MIN: '10000',
      RATE_LIMIT_PASSWORD_PER_MIN: '10000',
    };
  }

  async startApp(overrides: Environment = {}, options: StartOptions = {}): Promise<TestApp> {
    const started = await startApp({ ...this.env, ...overrides }, options);
    this.apps.push(started);
    return started;
  }

  /** The built bundle as its own process on this environment; killed by `close()`. */
  async startBuiltService(overrides: Environment = {}): Promise<BuiltService> {
    const started = await BuiltService.start({ ...this.env, ...overrides });
    this.builtServices.push(started);
    return started;
  }

  async close(): Promise<void> {
    await Promise.allSettled([
      ...this.apps.map((started) => started.close()),
      ...this.builtServices.map((started) => started.stop('SIGKILL')),
    ]);
    await this.redis.flush().catch(() => {});
    await this.database.drop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * Registers the `beforeAll`/`afterAll` pair of a file or describe block: a `TestEnvironment` of
 * its own (database, Redis key space, data directory), closed with everything started on it.
 */
export function useTestEnvironment(): { readonly environment: TestEnvironment } {
  let environment: TestEnvironment | undefined;
  beforeAll(async () => {
    environment = await TestEnvironment.create();
  });
  afterAll(async () => {
    await environment?.close();
  });
  return {
    get environment() {
      return started(environment, 'environment');
    },
  };
}

export type EnvironmentOverrides =
  Environment | ((environment: TestEnvironment) => Environment | Promise<Environment>);

export interface TestAppHandle extends RunningApp {
  readonly environment: TestEnvironment;
  /** The environment the application runs on: the file's defaults and the overrides. */
  readonly env: Environment;
}

/**
 * `useTestEnvironment()` plus one application started on it with `overrides` (a function is
 * called in `beforeAll`, after the hooks registered before it). Further applications:
 * `handle.environment.startApp(...)`. The handle's properties exist once `beforeAll` has run.
 */
export function useTestApp(
  overrides: EnvironmentOverrides = {},
  options: StartOptions = {},
): TestAppHandle {
  const scope = useTestEnvironment();
  let env: Environment | undefined;
  let running: TestApp | undefined;
  beforeAll(async () => {
    const environment = scope.environment;
    const own = typeof overrides === 'function' ? await overrides(environment) : overrides;
    env = { ...environment.env, ...own };
    running = await environment.startApp(env, options);
  });
  return {
    get environment() {
      return scope.environment;
    },
    get env() {
      return started(env, 'application');
    },
    get app() {
      return started(running, 'application').app;
    },
    get server() {
      return started(running, 'application').server;
    },
  };
}

function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) {
    throw new Error(`The test ${what} exists once beforeAll has run: read it in a test or hook.`);
  }
  return value;
}
