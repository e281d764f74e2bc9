import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { createClient, type RedisClientType } from '@keyv/redis';
import type { RedisConfig } from '../config/app-config.js';
import { REDIS_CONFIG } from '../config/config-slices.js';
import { Deadlines } from './deadlines.js';

const CONNECT_WAIT_AT_BOOT_MS = 2_000;
const ERROR_LOG_INTERVAL_MS = 10_000;

/** Reconnect forever with capped exponential back-off and jitter (avoids thundering herds). */
function reconnectDelayMs(attempt: number): number {
  return Math.min(50 * 2 ** attempt, 2_000) + Math.floor(Math.random() * 100);
}

/**
 * The one Redis connection of the process, shared by the cache store, revocation checks and rate
 * limits. Redis is an accelerator, never a dependency: commands fail fast (no offline queue, a
 * short timeout) while it is away, and the client reconnects on its own.
 */
@Injectable()
export class RedisConnection implements OnModuleInit, OnApplicationShutdown {
  readonly client: RedisClientType | undefined;
  private readonly keyPrefix: string;
  private readonly deadlines: Deadlines;
  private readonly logger = new Logger('Redis');
  private lastErrorLoggedAt = 0;
  private suppressedErrors = 0;
  private errors = 0;

  constructor(@Inject(REDIS_CONFIG) config: RedisConfig) {
    this.keyPrefix = config.keyPrefix;
    this.deadlines = new Deadlines(config.commandTimeoutMs);
    if (!config.url) return;
    this.client = createClient({
      url: config.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: Math.max(config.commandTimeoutMs * 4, 1_000),
        reconnectStrategy: reconnectDelayMs,
      },
    });
    this.client.on('error', (error: Error) => this.logError(error));
    this.client.on('ready', () => this.logger.log('Redis connection ready'));
  }

  /** Bounds a Redis operation to REDIS_COMMAND_TIMEOUT_MS: a slow Redis counts as a failed one. */
  withDeadline<T>(operation: Promise<T>): Promise<T> {
    return this.deadlines.track(operation);
  }

  key(name: string): string {
    return `${this.keyPrefix}${name}`;
  }

  /** Connects in the background; waits briefly so a healthy Redis is used from the first request. */
  async onModuleInit(): Promise<void> {
    if (!this.client) {
      this.logger.warn('REDIS_URL is not set: cache and rate limits are in-process only');
      return;
    }
    const connecting = this.client.connect().catch((error: unknown) => this.logError(error));
    await Promise.race([
      connecting,
      new Promise((resolve) => setTimeout(resolve, CONNECT_WAIT_AT_BOOT_MS).unref()),
    ]);
    if (!this.client.isReady) this.logger.warn('Redis is not reachable yet; serving without it');
  }

  async onApplicationShutdown(): Promise<void> {
    const client = this.client;
    if (!client?.isOpen) return;
    // A client still trying to (re)connect has nothing to flush: stop its reconnect loop now.
    if (!client.isReady) {
      client.destroy();
      return;
    }
    await client.close().catch(() => client.destroy());
  }

  /** Every Redis error this process met (connection and command), for the metrics. */
  get errorCount(): number {
    return this.errors;
  }

  /** Redis errors are expected during an outage: log one line per interval, not one per request. */
  logError(error: unknown): void {
    this.errors += 1;
    const now = Date.now();
    if (now - this.lastErrorLoggedAt < ERROR_LOG_INTERVAL_MS) {
      this.suppressedErrors += 1;
      return;
    }
    const suppressed = this.suppressedErrors;
    this.lastErrorLoggedAt = now;
    this.suppressedErrors = 0;
    this.logger.warn(
      { err: error instanceof Error ? error.message : String(error), suppressed },
      'Redis unavailable',
    );
  }
}
