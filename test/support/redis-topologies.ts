import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RedisKeys } from '../../src/redis/redis-keys.js';
import { redisCli, ThrowawayRedis } from './redis-server.js';
import { closedPort } from './tcp-proxy.js';
import type { Environment } from './test-app.js';
import { waitUntil } from './wait.js';

/** A throwaway Redis deployment of several processes that a test can start, fail over and stop. */
export interface ThrowawayRedisTopology {
  /** What points the service at it (REDIS_URL unset). */
  readonly env: Environment;
  start(): Promise<void>;
  /**
   * Kills (SIGKILL) the master that holds `key` and resolves once a replica has taken its place
   * and the topology answers for every key again.
   */
  failOver(key: string): Promise<void>;
  stop(): Promise<void>;
  /** The service's key names on this topology. */
  keys(prefix: string): RedisKeys;
  /** Whether `key` exists, asked of the master that holds it. */
  exists(key: string): Promise<boolean>;
}

// Short enough for a failover in a few seconds; Redis' defaults (15 s, 30 s) are for networks.
const NODE_TIMEOUT_MS = 1_000;

/** Three masters and a replica each, created with `redis-cli --cluster create`. */
export class ThrowawayRedisCluster implements ThrowawayRedisTopology {
  private readonly nodes: ThrowawayRedis[] = [];
  private dir = '';

  get env(): Environment {
    const masters = this.nodes.slice(0, 3).map((node) => `127.0.0.1:${node.port}`);
    return { REDIS_URL: undefined, REDIS_CLUSTER_NODES: masters.join(',') };
  }

  async start(): Promise<void> {
    this.dir = await mkdtemp(path.join(tmpdir(), 'uas-redis-cluster-'));
    for (let index = 0; index < 6; index += 1) {
      this.nodes.push(
        new ThrowawayRedis([
          '--cluster-enabled',
          'yes',
          // The bus port defaults to port + 10000, which may be taken: ask the OS for one.
          '--cluster-port',
          String(await closedPort()),
          '--cluster-config-file',
          path.join(this.dir, `nodes-${index}.conf`),
          '--cluster-node-timeout',
          String(NODE_TIMEOUT_MS),
          '--dir',
          this.dir,
        ]),
      );
    }
    await Promise.all(this.nodes.map((node) => node.start()));
    const [first] = this.nodes;
    // The first three given become masters, each of the others a replica of one of them.
    await redisCli(
      first.port,
      '--cluster',
      'create',
      ...this.nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    );
    await this.waitForHealthyCluster(this.nodes);
    // A replica that has not synced yet refuses to take over (its data counts as too old).
    await waitUntil(
      'every replica to sync with its master',
      async () => {
        const roles = await Promise.all(
          this.nodes.map((node) => redisCli(node.port, 'INFO', 'replication')),
        );
        const replicas = roles.filter((role) => role.includes('role:slave'));
        return (
          replicas.length === 3 && replicas.every((role) => role.includes('master_link_status:up'))
        );
      },
      15_000,
    );
  }

  async failOver(key: string): Promise<void> {
    const slot = Number(await redisCli(this.nodes[0].port, 'CLUSTER', 'KEYSLOT', key));
    const owner = await this.masterOf(slot, this.nodes[0]);
    const victim = this.nodes.find((node) => node.port === owner);
    if (!victim) throw new Error(`no node on port ${owner}`);
    await victim.kill();
    const survivors = this.nodes.filter((node) => node.isRunning);
    await waitUntil(
      `a replica to take over slot ${slot}`,
      async () => {
        const master = await this.masterOf(slot, survivors[0]).catch(() => undefined);
        return master !== undefined && master !== owner;
      },
      15_000,
    );
    await this.waitForHealthyCluster(survivors);
  }

  keys(prefix: string): RedisKeys {
    return new RedisKeys(prefix, true);
  }

  async exists(key: string): Promise<boolean> {
    const node = this.nodes.find((candidate) => candidate.isRunning);
    if (!node) throw new Error('no cluster node is running');
    // -c: follow the MOVED redirection to the master of the key's slot.
    return (await redisCli(node.port, '-c', 'EXISTS', key)) === '1';
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.nodes.map((node) => node.kill()));
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  /** The port of the master serving `slot`, as `node` sees the cluster. */
  private async masterOf(slot: number, node: ThrowawayRedis): Promise<number | undefined> {
    const lines = (await redisCli(node.port, 'CLUSTER', 'NODES')).split('\n');
    for (const line of lines) {
      const [, address, flags, , , , , state, ...ranges] = line.split(' ');
      if (!flags.split(',').includes('master') || flags.includes('fail') || state !== 'connected') {
        continue;
      }
      const serves = ranges.some((range) => {
        const [from, to = from] = range.split('-').map(Number);
        return slot >= from && slot <= to;
      });
      if (serves) return Number(address.split('@')[0].split(':')[1]);
    }
    return undefined;
  }

  private async waitForHealthyCluster(nodes: ThrowawayRedis[]): Promise<void> {
    await waitUntil(
      'every cluster node to report cluster_state:ok',
      async () => {
        const states = await Promise.all(
          nodes.map((node) => redisCli(node.port, 'CLUSTER', 'INFO').catch(() => '')),
        );
        return states.every((info) => info.includes('cluster_state:ok'));
      },
      15_000,
    );
  }
}

export const SENTINEL_MASTER_NAME = 'uas-test';

/** One master, one replica and three sentinels (quorum 2), as `redis-server --sentinel`. */
export class ThrowawayRedisSentinel implements ThrowawayRedisTopology {
  private master: ThrowawayRedis | undefined;
  private replica: ThrowawayRedis | undefined;
  private readonly sentinels: ThrowawayRedis[] = [];
  private dir = '';

  get env(): Environment {
    return {
      REDIS_URL: undefined,
      REDIS_SENTINELS: this.sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(','),
      REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME,
    };
  }

  async start(): Promise<void> {
    this.dir = await mkdtemp(path.join(tmpdir(), 'uas-redis-sentinel-'));
    // --dir: a full resynchronisation writes an RDB file even with saving off.
    const master = new ThrowawayRedis(['--dir', this.dir]);
    this.master = master;
    await master.start();
    const replica = new ThrowawayRedis([
      '--dir',
      this.dir,
      '--replicaof',
      '127.0.0.1',
      String(master.port),
    ]);
    this.replica = replica;
    await replica.start();
    await waitUntil('the replica to sync with the master', async () =>
      (await redisCli(replica.port, 'INFO', 'replication')).includes('master_link_status:up'),
    );
    for (let index = 0; index < 3; index += 1) {
      // Sentinel rewrites its configuration file: one per sentinel, in the scratch directory.
      const configFile = path.join(this.dir, `sentinel-${index}.conf`);
      await writeFile(
        configFile,
        [
          `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} ${NODE_TIMEOUT_MS}`,
          `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 10000`,
          `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
          '',
        ].join('\n'),
      );
      this.sentinels.push(new ThrowawayRedis(['--sentinel', '--dir', this.dir], configFile));
    }
    await Promise.all(this.sentinels.map((sentinel) => sentinel.start()));
    await waitUntil(
      'every sentinel to see the replica and the other sentinels',
      async () => {
        const views = await Promise.all(
          this.sentinels.map((sentinel) =>
            redisCli(sentinel.port, 'SENTINEL', 'MASTER', SENTINEL_MASTER_NAME).catch(() => ''),
          ),
        );
        return views.every(
          (view) => /num-slaves\n1\n/.test(view) && /num-other-sentinels\n2\n/.test(view),
        );
      },
      15_000,
    );
  }

  /** The key does not matter here: the one master holds every key. */
  async failOver(): Promise<void> {
    const replica = this.replica!;
    await this.master?.kill();
    await waitUntil(
      'the sentinels to promote the replica',
      async () => {
        const addresses = await Promise.all(
          this.sentinels.map((sentinel) =>
            redisCli(
              sentinel.port,
              'SENTINEL',
              'GET-MASTER-ADDR-BY-NAME',
              SENTINEL_MASTER_NAME,
            ).catch(() => ''),
          ),
        );
        const role = await redisCli(replica.port, 'ROLE').catch(() => '');
        return (
          role.startsWith('master') &&
          addresses.every((address) => address.endsWith(`\n${replica.port}`))
        );
      },
      15_000,
    );
  }

  keys(prefix: string): RedisKeys {
    return new RedisKeys(prefix, false);
  }

  async exists(key: string): Promise<boolean> {
    const address = await redisCli(
      this.sentinels[0].port,
      'SENTINEL',
      'GET-MASTER-ADDR-BY-NAME',
      SENTINEL_MASTER_NAME,
    );
    const port = Number(address.split('\n')[1]);
    return (await redisCli(port, 'EXISTS', key)) === '1';
  }

  async stop(): Promise<void> {
    const nodes = [this.master, this.replica, ...this.sentinels].filter(
      (node): node is ThrowawayRedis => node !== undefined,
    );
    await Promise.allSettled(nodes.map((node) => node.kill()));
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
