export interface RedisEndpoint {
  host: string;
  port: number;
}

/** Credentials and TLS of a cluster or Sentinel set: the same for every node it reaches. */
export interface RedisAccess {
  username: string | undefined;
  password: string | undefined;
  tls: boolean;
}

/** Which Redis the service talks to; exactly one is configured, or none (in-process stores). */
export type RedisTopology =
  | { kind: 'single'; url: string }
  | ({ kind: 'cluster'; seeds: RedisEndpoint[] } & RedisAccess)
  | ({ kind: 'sentinel'; sentinels: RedisEndpoint[]; masterName: string } & RedisAccess);

export interface RedisConfig {
  /** Undefined means in-process stores (cache, rate limits, revocation fast path). */
  topology: RedisTopology | undefined;
  keyPrefix: string;
  commandTimeoutMs: number;
}

type RedisVariables = {
  REDIS_URL?: string;
  REDIS_CLUSTER_NODES?: string;
  REDIS_SENTINELS?: string;
  REDIS_SENTINEL_NAME?: string;
  REDIS_KEY_PREFIX?: string;
  REDIS_COMMAND_TIMEOUT_MS?: number;
};

const CLUSTER_DEFAULT_PORT = 6379;
const SENTINEL_DEFAULT_PORT = 26379;

interface ParsedNode extends RedisEndpoint {
  /** Undefined for a bare host:port, which takes the access of the URLs beside it. */
  access: RedisAccess | undefined;
}

/** `host:port`, `[v6]:port` or a redis:// / rediss:// URL; undefined when it is neither. */
function parseNode(entry: string, defaultPort: number): ParsedNode | undefined {
  const isUrl = entry.includes('://');
  let url: URL;
  try {
    url = new URL(isUrl ? entry : `redis://${entry}`);
  } catch {
    return undefined;
  }
  const hasPath = url.pathname !== '' && url.pathname !== '/';
  if (!/^rediss?:$/.test(url.protocol) || !url.hostname || hasPath || url.search) return undefined;
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : defaultPort,
    access: isUrl
      ? {
          username: url.username ? decodeURIComponent(url.username) : undefined,
          password: url.password ? decodeURIComponent(url.password) : undefined,
          tls: url.protocol === 'rediss:',
        }
      : undefined,
  };
}

/**
 * Parses a comma-separated node list. The URLs in it must agree on credentials and scheme: they
 * apply to every node the client reaches, discovered ones included, not only to the seeds.
 */
function parseNodes(
  name: string,
  list: string,
  defaultPort: number,
  problems: string[],
): { endpoints: RedisEndpoint[]; access: RedisAccess } | undefined {
  const entries = list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const nodes = entries.map((entry) => parseNode(entry, defaultPort));
  if (entries.length === 0 || nodes.some((node) => node === undefined)) {
    problems.push(
      `${name} must be a comma-separated list of host:port or redis:// / rediss:// URLs`,
    );
    return undefined;
  }
  const parsed = nodes as ParsedNode[];
  const accesses = parsed.flatMap((node) => (node.access ? [node.access] : []));
  const access = accesses[0] ?? { username: undefined, password: undefined, tls: false };
  const isUniform = accesses.every(
    (other) =>
      other.tls === access.tls &&
      other.username === access.username &&
      other.password === access.password,
  );
  if (!isUniform) {
    problems.push(`${name}: every URL must use the same credentials and scheme (redis/rediss)`);
    return undefined;
  }
  return { endpoints: parsed.map(({ host, port }) => ({ host, port })), access };
}

/** The Redis slice; adds to `problems` what is wrong (several topologies, a half-set Sentinel). */
export function redisConfigOf(env: RedisVariables, problems: string[]): RedisConfig {
  const configured = (['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const).filter(
    (name) => env[name] !== undefined,
  );
  if (configured.length > 1) {
    problems.push(
      `set only one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS (got ${configured.join(', ')})`,
    );
  }
  if ((env.REDIS_SENTINELS === undefined) !== (env.REDIS_SENTINEL_NAME === undefined)) {
    problems.push('REDIS_SENTINELS and REDIS_SENTINEL_NAME must be set together');
  }
  return {
    topology: configured.length === 1 ? topologyOf(env, problems) : undefined,
    keyPrefix: env.REDIS_KEY_PREFIX ?? 'uas:',
    commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS ?? 250,
  };
}

function topologyOf(env: RedisVariables, problems: string[]): RedisTopology | undefined {
  if (env.REDIS_URL !== undefined) return { kind: 'single', url: env.REDIS_URL };
  if (env.REDIS_CLUSTER_NODES !== undefined) {
    const nodes = parseNodes(
      'REDIS_CLUSTER_NODES',
      env.REDIS_CLUSTER_NODES,
      CLUSTER_DEFAULT_PORT,
      problems,
    );
    return nodes && { kind: 'cluster', seeds: nodes.endpoints, ...nodes.access };
  }
  if (env.REDIS_SENTINELS === undefined || env.REDIS_SENTINEL_NAME === undefined) return undefined;
  const nodes = parseNodes('REDIS_SENTINELS', env.REDIS_SENTINELS, SENTINEL_DEFAULT_PORT, problems);
  // node-redis' Sentinel client takes plain TCP socket options only (RedisTcpSocketOptions).
  if (nodes?.access.tls) {
    problems.push('REDIS_SENTINELS: rediss:// (TLS) is not supported with Sentinel');
    return undefined;
  }
  return (
    nodes && {
      kind: 'sentinel',
      sentinels: nodes.endpoints,
      masterName: env.REDIS_SENTINEL_NAME,
      ...nodes.access,
    }
  );
}
