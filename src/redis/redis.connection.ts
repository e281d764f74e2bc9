import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import {
  createClient,
  createCluster,
  createSentinel,
  type RedisClientType,
  type RedisClusterType,
  type RedisSentinelType,
} from '@keyv/redis';
import type { RedisConfig } from '../config/app-config.js';
import type { RedisAccess, RedisTopology } from '../config/redis-config.js';
import { REDIS_CONFIG } from '../config/config-slices.js';
import { Deadlines } from './deadlines.js';
import { RedisKeys } from './redis-keys.js';

const CONNECT_WAIT_AT_BOOT_MS = 2_000;
const ERROR_LOG_INTERVAL_MS = 10_000;
// A cluster's slot map is refreshed at most this often after a node error (see below).
const REDISCOVER_INTERVAL_MS = 500;

/** Reconnect forever with capped exponential back-off and jitter (avoids thundering herds). */
function reconnectDelayMs(attempt: number): number {
  return Math.min(50 * 2 ** attempt, 2_000) + Math.floor(Math.random() * 100);
}

/** A node's address as node-redis reports a master. */
interface RedisNodeAddress {
  host: string;
  port: number;
}

/** What every topology's client is to the Keyv store and to lifecycle code. */
export type RedisTopologyClient = RedisClientType | RedisClusterType | RedisSentinelType;

/** A MULTI/EXEC batch; in a cluster every key in it must hash to one slot. */
export interface RedisBatch {
  set(key: string, value: string, options: { EX: number }): RedisBatch;
  hSet(key: string, field: string, value: string): RedisBatch;
  expire(key: string, seconds: number): RedisBatch;
  eval(script: string, options: { keys: string[]; arguments: string[] }): RedisBatch;
  exec(): Promise<unknown[]>;
}

/**
 * The commands the services send, the same on a single node, a cluster (routed by their first
 * key, so every key of one call must hash to one slot) and the master a Sentinel set names.
 */
export interface RedisCommands {
  mGet(keys: string[]): Promise<(string | null)[]>;
  del(keys: string[]): Promise<number>;
  eval(script: string, options: { keys: string[]; arguments?: string[] }): Promise<unknown>;
  multi(): RedisBatch;
}

/**
 * The one Redis connection of the process, shared by the cache store, revocation checks and rate
 * limits: one node (REDIS_URL), a cluster or a Sentinel-managed master. Redis is an accelerator,
 * never a dependency: commands fail fast (no offline queue, a short timeout) while it is away,
 * and the client reconnects on its own.
 */
@Injectable()
export class RedisConnection implements OnModuleInit, OnApplicationShutdown {
  /** The client of the configured topology, for the Keyv store; undefined without Redis. */
  readonly topologyClient: RedisTopologyClient | undefined;
  readonly keys: RedisKeys;
  private readonly topology: RedisTopology | undefined;
  private readonly deadlines: Deadlines;
  private readonly logger = new Logger('Redis');
  private readonly readyListeners: (() => void)[] = [];
  private readonly failoverListeners: (() => void)[] = [];
  // The master(s) last seen, to tell a failover from the first discovery.
  private knownMasters: string | undefined;
  private lastErrorLoggedAt = 0;
  private suppressedErrors = 0;
  private errors = 0;
  private isClosing = false;
  private lastRediscoverAt = 0;

  constructor(@Inject(REDIS_CONFIG) config: RedisConfig) {
    this.topology = config.topology;
    this.keys = new RedisKeys(config.keyPrefix, config.topology?.kind === 'cluster');
    this.deadlines = new Deadlines(config.commandTimeoutMs);
    if (!this.topology) return;
    const socket = {
      connectTimeout: Math.max(config.commandTimeoutMs * 4, 1_000),
      reconnectStrategy: reconnectDelayMs,
    };
    switch (this.topology.kind) {
      case 'single': {
        const client = createClient({ url: this.topology.url, disableOfflineQueue: true, socket });
        client.on('error', (error: Error) => this.logError(error));
        client.on('ready', () => this.becameReady());
        this.topologyClient = client;
        break;
      }
      case 'cluster': {
        const cluster = createCluster({
          rootNodes: this.topology.seeds.map(({ host, port }) => ({ socket: { host, port } })),
          defaults: {
            ...credentials(this.topology),
            disableOfflineQueue: true,
            socket: this.topology.tls ? { ...socket, tls: true } : socket,
          },
        });
        cluster.on('error', (error: Error) => this.logError(error));
        cluster.on('node-error', (error: Error) => {
          this.logError(error);
          this.rediscover(cluster);
        });
        cluster.on('node-ready', () => {
          this.mastersSeen(cluster.masters);
          this.becameReady();
        });
        this.topologyClient = cluster;
        break;
      }
      case 'sentinel': {
        const sentinel = createSentinel({
          name: this.topology.masterName,
          sentinelRootNodes: this.topology.sentinels,
          nodeClientOptions: { ...credentials(this.topology), disableOfflineQueue: true, socket },
          sentinelClientOptions: { ...credentials(this.topology), socket },
          // The master's errors come through 'error' too, to be counted and logged.
          passthroughClientErrorEvents: true,
        });
        sentinel.on('error', (error: unknown) => this.logError(error));
        sentinel.on('topology-change', (event: { type: string; node?: RedisNodeAddress }) => {
          if (event.type === 'MASTER_CHANGE' && event.node) this.mastersSeen([event.node]);
          this.becameReady();
        });
        this.topologyClient = sentinel;
        break;
      }
    }
  }

  /** The commands; undefined without Redis. */
  get client(): RedisCommands | undefined {
    return this.topologyClient;
  }

  /**
   * Whether commands can be sent now. A cluster is ready only with every master connected: keys
   * of a slot whose master is away would fail anyway, and the callers' fallbacks (PostgreSQL for
   * revocations, per-process rate limits) are safe for every key.
   */
  get isReady(): boolean {
    const client = this.topologyClient;
    if (!client) return false;
    if (this.topology?.kind !== 'cluster') {
      return (client as RedisClientType | RedisSentinelType).isReady;
    }
    const { masters } = client as RedisClusterType;
    return client.isOpen && masters.length > 0 && masters.every((node) => node.client?.isReady);
  }

  /** Called whenever the connection (or, in a cluster, a node) becomes ready again. */
  onReady(listener: () => void): void {
    this.readyListeners.push(listener);
  }

  /**
   * Called when another node has become a master (a Sentinel or cluster failover). Replication is
   * asynchronous: writes the old master acknowledged may be missing on the new one, so what the
   * services wrote there (revocations, cache invalidations) can no longer be trusted.
   */
  onFailover(listener: () => void): void {
    this.failoverListeners.push(listener);
  }

  /** Bounds a Redis operation to REDIS_COMMAND_TIMEOUT_MS: a slow Redis counts as a failed one. */
  withDeadline<T>(operation: Promise<T>): Promise<T> {
    return this.deadlines.track(operation);
  }

  key(name: string, hashTag?: string): string {
    return this.keys.key(name, hashTag);
  }

  /** PING every master (one in a single node or Sentinel set), bounded to `timeoutMs`. */
  async ping(timeoutMs: number): Promise<void> {
    const client = this.topologyClient;
    if (!client) return;
    let pinging: Promise<unknown>;
    if (this.topology?.kind === 'cluster') {
      const cluster = client as RedisClusterType;
      pinging = Promise.all(
        cluster.masters.map(async (node) => (await cluster.nodeClient(node)).ping()),
      );
    } else {
      pinging = (client as RedisClientType | RedisSentinelType).ping();
    }
    await new Deadlines(timeoutMs).track(pinging);
  }

  /** Connects in the background; waits briefly so a healthy Redis is used from the first request. */
  async onModuleInit(): Promise<void> {
    if (!this.topologyClient) {
      this.logger.warn('Redis is not configured: cache and rate limits are in-process only');
      return;
    }
    const connecting = this.connect();
    await Promise.race([
      connecting,
      new Promise((resolve) => setTimeout(resolve, CONNECT_WAIT_AT_BOOT_MS).unref()),
    ]);
    if (!this.isReady) this.logger.warn('Redis is not reachable yet; serving without it');
  }

  async onApplicationShutdown(): Promise<void> {
    this.isClosing = true;
    const client = this.topologyClient;
    if (!client?.isOpen) return;
    // A client still trying to (re)connect has nothing to flush: stop its reconnect loop now.
    if (!this.isReady) {
      await client.destroy();
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
    // A MOVED seen by a caller that sent to a node directly (the Keyv store does, per slot).
    if (
      this.topology?.kind === 'cluster' &&
      error instanceof Error &&
      /^(MOVED|ASK) /.test(error.message)
    ) {
      this.rediscover(this.topologyClient as RedisClusterType);
    }
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

  /**
   * A single node reconnects on its own, and a Sentinel client keeps looking for its master; a
   * cluster client gives up when no seed answers, so it is retried here with the same back-off.
   */
  private async connect(): Promise<void> {
    const client = this.topologyClient;
    if (!client) return;
    if (this.topology?.kind !== 'cluster') {
      await client.connect().catch((error: unknown) => this.logError(error));
      return;
    }
    for (let attempt = 0; !this.isClosing; attempt += 1) {
      try {
        // The Keyv store connects a closed client on first use, so this one may be open already.
        if (!client.isOpen) await client.connect();
        // Shutdown began while connecting: close what the connect opened, or its nodes'
        // reconnect loops would keep the process alive.
        if (this.isClosing) {
          await client.destroy();
          return;
        }
        this.mastersSeen((client as RedisClusterType).masters);
        this.becameReady();
        return;
      } catch (error) {
        this.logError(error);
        await new Promise((resolve) => setTimeout(resolve, reconnectDelayMs(attempt)).unref());
      }
    }
  }

  /**
   * node-redis refreshes a cluster's slot map only on a MOVED/ASK reply, which a dead master
   * never sends: its slots would stay mapped to it after a replica took over
   * (redis/node-redis#2806). So a node error refreshes the map from a live master.
   */
  private rediscover(cluster: RedisClusterType): void {
    const now = Date.now();
    if (this.isClosing || now - this.lastRediscoverAt < REDISCOVER_INTERVAL_MS) return;
    this.lastRediscoverAt = now;
    const live = cluster.masters.find((node) => node.client?.isReady)?.client;
    if (!live) return;
    cluster._slots
      .rediscover(live)
      .then(() => {
        // A refresh that finished after shutdown began may have opened node connections.
        if (this.isClosing) {
          cluster.destroy();
          return;
        }
        this.mastersSeen(cluster.masters);
        if (this.isReady) this.becameReady();
      })
      .catch((error: unknown) => this.logError(error));
  }

  private mastersSeen(masters: readonly RedisNodeAddress[]): void {
    const seen = masters
      .map(({ host, port }) => `${host}:${port}`)
      .sort()
      .join(',');
    const previous = this.knownMasters;
    this.knownMasters = seen;
    if (previous === undefined || previous === seen) return;
    this.logger.warn({ masters: seen }, 'Redis failover: another node is master now');
    for (const listener of this.failoverListeners) listener();
  }

  private becameReady(): void {
    if (!this.isReady) return;
    this.logger.log('Redis connection ready');
    for (const listener of this.readyListeners) listener();
  }
}

function credentials(access: RedisAccess): { username?: string; password?: string } {
  return {
    ...(access.username !== undefined && { username: access.username }),
    ...(access.password !== undefined && { password: access.password }),
  };
}
