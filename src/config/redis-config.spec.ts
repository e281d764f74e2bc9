import { describe, expect, it } from '@jest/globals';
import { refusalsOf } from '../../test/support/config-refusals.js';
import { loadAppConfig } from './app-config.js';

function problemsOf(environment: Record<string, string>): string[] {
  return refusalsOf(loadAppConfig, environment);
}

describe('Redis topology (REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS)', () => {
  it('reads cluster seeds as host:port or URLs, applying the URL credentials and TLS to all', () => {
    const { topology } = loadAppConfig({
      REDIS_CLUSTER_NODES: 'rediss://app:s%40cret@r1.internal:7000, r2.internal:7001,[::1]',
    }).redis;
    expect(topology).toEqual({
      kind: 'cluster',
      seeds: [
        { host: 'r1.internal', port: 7000 },
        { host: 'r2.internal', port: 7001 },
        { host: '::1', port: 6379 },
      ],
      username: 'app',
      password: 's@cret',
      tls: true,
    });
  });

  it('reads sentinels with the 26379 default port and the master name', () => {
    const { topology } = loadAppConfig({
      REDIS_SENTINELS: 's1:26380,s2',
      REDIS_SENTINEL_NAME: 'uas-master',
    }).redis;
    expect(topology).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
      ],
      masterName: 'uas-master',
      username: undefined,
      password: undefined,
      tls: false,
    });
  });

  it('refuses more than one topology', () => {
    expect(
      problemsOf({ REDIS_URL: 'redis://cache:6379', REDIS_CLUSTER_NODES: 'cache:7000' }),
    ).toEqual([
      'set only one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS (got REDIS_URL, REDIS_CLUSTER_NODES)',
    ]);
  });

  it('refuses sentinels without a master name, and a master name alone', () => {
    expect(problemsOf({ REDIS_SENTINELS: 's1:26379' })).toEqual([
      'REDIS_SENTINELS and REDIS_SENTINEL_NAME must be set together',
    ]);
    expect(problemsOf({ REDIS_SENTINEL_NAME: 'uas' })).toEqual([
      'REDIS_SENTINELS and REDIS_SENTINEL_NAME must be set together',
    ]);
  });

  it.each([
    ['an http URL', 'http://r1:7000'],
    ['a path', 'redis://r1:7000/2'],
    ['a port out of range', 'r1:70000'],
    ['only commas', ',,'],
  ])('refuses cluster nodes with %s', (_, nodes) => {
    expect(problemsOf({ REDIS_CLUSTER_NODES: nodes })).toEqual([
      'REDIS_CLUSTER_NODES must be a comma-separated list of host:port or redis:// / rediss:// URLs',
    ]);
  });

  it('refuses nodes that disagree on credentials or TLS', () => {
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'redis://:a@r1:7000,redis://:b@r2:7000' })).toEqual([
      'REDIS_CLUSTER_NODES: every URL must use the same credentials and scheme (redis/rediss)',
    ]);
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'rediss://r1:7000,redis://r2:7000' })).toEqual([
      'REDIS_CLUSTER_NODES: every URL must use the same credentials and scheme (redis/rediss)',
    ]);
  });

  it('refuses TLS with Sentinel, which the node-redis Sentinel client cannot do', () => {
    expect(problemsOf({ REDIS_SENTINELS: 'rediss://s1:26379', REDIS_SENTINEL_NAME: 'm' })).toEqual([
      'REDIS_SENTINELS: rediss:// (TLS) is not supported with Sentinel',
    ]);
  });

  it('accepts a cluster or a Sentinel set in production instead of REDIS_URL', () => {
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://app:secret@db:5432/app',
      JWT_PRIVATE_KEY_FILE: '/run/secrets/jwt-private.pem',
      CORS_ORIGINS: 'https://app.example.com',
      SMTP_URL: 'smtp://mailer:secret@smtp.example.com:587',
      APP_URL: 'https://app.example.com',
    };
    expect(
      loadAppConfig({ ...production, REDIS_CLUSTER_NODES: 'r1:7000' }).redis.topology?.kind,
    ).toBe('cluster');
    expect(
      loadAppConfig({ ...production, REDIS_SENTINELS: 's1', REDIS_SENTINEL_NAME: 'm' }).redis
        .topology?.kind,
    ).toBe('sentinel');
  });
});
