import { revocationKey } from '../../src/auth/session-revocation.service.js';
import { RedisKeys } from '../../src/redis/redis-keys.js';
import { ThrowawayRedisCluster } from '../support/redis-topologies.js';
import { describeOnRedisTopology } from '../support/redis-topology-scenarios.js';

// The master that fails is the one every authenticated request reads (the revocation slot).
describeOnRedisTopology(
  'on a Redis Cluster (three masters, a replica each)',
  new ThrowawayRedisCluster(),
  (prefix) => revocationKey(new RedisKeys(prefix, true), 'synced'),
);
