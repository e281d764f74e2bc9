import { describe, expect, it } from '@jest/globals';
import { hashSlot } from '../../test/support/hash-slot.js';
import { RedisKeys } from './redis-keys.js';

describe('RedisKeys', () => {
  it('computes slots as Redis does (CLUSTER KEYSLOT)', () => {
    expect(hashSlot('123456789')).toBe(12739);
    expect(hashSlot('foo')).toBe(12182);
    expect(hashSlot('{user1000}.following')).toBe(hashSlot('user1000'));
    // An empty tag does not count: the whole key is hashed (CLUSTER KEYSLOT says 8363).
    expect(hashSlot('foo{}{bar}')).toBe(8363);
  });

  it('puts keys naming one hash tag in one slot in cluster mode, and names the tag after the prefix', () => {
    const keys = new RedisKeys('uas:', true);
    expect(keys.key('revoked:synced', 'revoked')).toBe('uas:{revoked}:revoked:synced');
    expect(hashSlot(keys.key('a', 'tag'))).toBe(hashSlot(keys.key('b', 'tag')));
    expect(keys.key('rl:login')).toBe('uas:rl:login');
  });

  it('leaves the tag out on a single node or a Sentinel set, keeping the names they hold', () => {
    expect(new RedisKeys('uas:', false).key('revoked:synced', 'revoked')).toBe(
      'uas:revoked:synced',
    );
  });
});
