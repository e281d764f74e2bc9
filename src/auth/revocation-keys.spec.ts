import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { slotsOf } from '../../test/support/hash-slot.js';
import { RedisKeys } from '../redis/redis-keys.js';
import { revocationKey } from './session-revocation.service.js';

describe('revocation keys on a Redis Cluster', () => {
  it('puts the sync marker, the rebuild leases and every revoked id in one slot', () => {
    const keys = new RedisKeys('uas:', true);
    // A check MGETs marker + id; a rebuild MULTIs ids, leases and marker; a repair DELs two.
    const group = [
      revocationKey(keys, 'synced'),
      revocationKey(keys, 'rebuilds'),
      ...Array.from({ length: 50 }, () => revocationKey(keys, randomUUID())),
    ];
    expect(slotsOf(group).size).toBe(1);
  });

  it('keeps the names a single node holds (a deploy finds the existing set)', () => {
    expect(revocationKey(new RedisKeys('uas:', false), 'synced')).toBe('uas:revoked:synced');
  });
});
