import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from '../../src/app.module.js';
import { ENVIRONMENT } from '../../src/config/config.module.js';
import { setupApp } from '../../src/setup-app.js';
import { TEST_REDIS_URL } from './environment.js';
import { TestDatabase } from './test-database.js';
import { TestRedisKeyspace } from './test-redis.js';

export type Environment = Record<string, string | undefined>;

export interface TestApp {
  app: NestExpressApplication;
  server: Server;
  close(): Promise<void>;
}

/** Builds the production application (AppModule + setupApp) on the given environment. */
export async function startApp(env: Environment): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(ENVIRONMENT)
    .useValue(env)
    .compile();
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
    };
  }

  async startApp(overrides: Environment = {}): Promise<TestApp> {
    const started = await startApp({ ...this.env, ...overrides });
    this.apps.push(started);
    return started;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.apps.map((started) => started.close()));
    await this.redis.flush().catch(() => {});
    await this.database.drop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
