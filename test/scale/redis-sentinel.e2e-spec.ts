import { ThrowawayRedisSentinel } from '../support/redis-topologies.js';
import { describeOnRedisTopology } from '../support/redis-topology-scenarios.js';

describeOnRedisTopology(
  'behind Redis Sentinel (a master, a replica, three sentinels)',
  new ThrowawayRedisSentinel(),
);
