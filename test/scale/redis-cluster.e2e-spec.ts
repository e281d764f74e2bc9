import { ThrowawayRedisCluster } from '../support/redis-topologies.js';
import { describeOnRedisTopology } from '../support/redis-topology-scenarios.js';

describeOnRedisTopology(
  'on a Redis Cluster (three masters, a replica each)',
  new ThrowawayRedisCluster(),
);
