import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { revocationKey } from '../auth/session-revocation.service.js';
import { attemptKeys } from '../rate-limit/rate-limit.store.js';
import { RedisKeys } from './redis-keys.js';

/** CRC16-XMODEM of the key's hash tag (or the whole key), as Redis Cluster assigns slots. */
function hashSlot(key: string): number {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(hashed)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc % 16384;
}

const slotsOf = (keys: string[]) => new Set(keys.map(hashSlot));

describe('Redis key names and cluster hash slots', () => {
  it('computes slots as Redis does (CLUSTER KEYSLOT)', () => {
    expect(hashSlot('123456789')).toBe(12739);
    expect(hashSlot('foo')).toBe(12182);
    expect(hashSlot('{user1000}.following')).toBe(hashSlot('user1000'));
    // An empty tag does not count: the whole key is hashed (CLUSTER KEYSLOT says 8363).
    expect(hashSlot('foo{}{bar}')).toBe(8363);
  });

  const cluster = new RedisKeys('uas:', true);

  it('puts the revocation marker, the leases and every revoked id in one slot', () => {
    const ids = Array.from({ length: 50 }, () => randomUUID());
    // isSessionActive: MGET marker + id; rebuild: MULTI of ids, leases, marker; repair: DEL.
    const keys = [
      revocationKey(cluster, 'synced'),
      revocationKey(cluster, 'rebuilds'),
      ...ids.map((id) => revocationKey(cluster, id)),
    ];
    expect(slotsOf(keys).size).toBe(1);
  });

  it("puts an attempt's pair and account counters in one slot, accounts spread over slots", () => {
    const accounts = Array.from({ length: 50 }, () => `login:${randomUUID()}`);
    for (const account of accounts) {
      const { pairKey, accountKey } = attemptKeys(cluster, {
        account,
        pair: `login:${randomUUID()}`,
      });
      expect(slotsOf([pairKey, accountKey]).size).toBe(1);
    }
    const accountSlots = slotsOf(
      accounts.map((account) => attemptKeys(cluster, { account, pair: 'p' }).accountKey),
    );
    expect(accountSlots.size).toBeGreaterThan(40);
  });

  it('keeps the names a single node or a Sentinel set already holds', () => {
    const single = new RedisKeys('uas:', false);
    expect(revocationKey(single, 'synced')).toBe('uas:revoked:synced');
    expect(attemptKeys(single, { account: 'login:a', pair: 'login:b' })).toEqual({
      pairKey: 'uas:fail:pair:login:b',
      accountKey: 'uas:fail:account:login:a',
    });
    expect(revocationKey(cluster, 'synced')).toBe('uas:{revoked}:revoked:synced');
  });
});
