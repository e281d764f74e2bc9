import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { slotsOf } from '../../test/support/hash-slot.js';
import { RedisKeys } from '../redis/redis-keys.js';
import { attemptKeys } from './rate-limit.store.js';

describe('attempt counter keys on a Redis Cluster', () => {
  const keys = new RedisKeys('uas:', true);
  const accounts = Array.from({ length: 50 }, () => `login:${randomUUID()}`);

  it("puts an attempt's pair and account counters (one script) in one slot", () => {
    for (const account of accounts) {
      const { pairKey, accountKey } = attemptKeys(keys, { account, pair: `login:${randomUUID()}` });
      expect(slotsOf([pairKey, accountKey]).size).toBe(1);
    }
  });

  it('spreads accounts over the slots rather than onto one node', () => {
    const accountSlots = slotsOf(
      accounts.map((account) => attemptKeys(keys, { account, pair: 'p' }).accountKey),
    );
    expect(accountSlots.size).toBeGreaterThan(40);
  });

  it('keeps the names a single node holds', () => {
    expect(attemptKeys(new RedisKeys('uas:', false), { account: 'a', pair: 'b' })).toEqual({
      pairKey: 'uas:fail:pair:b',
      accountKey: 'uas:fail:account:a',
    });
  });
});
