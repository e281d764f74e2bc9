import { describe, expect, it } from '@jest/globals';
import { RedisConnection } from '../redis/redis.connection.js';
import { type AttemptLimits, RateLimitStore } from './rate-limit.store.js';

/** No REDIS_URL: the store counts in this process, as it does while Redis is down. */
const inProcessStore = () =>
  new RateLimitStore(
    new RedisConnection({ topology: undefined, keyPrefix: 't:', commandTimeoutMs: 250 }),
  );

const LIMITS: AttemptLimits = {
  pairThreshold: 3,
  accountThreshold: 5,
  windowMs: 900_000,
  baseLockMs: 60_000,
};

const pairOf = (address: string) => ({ pair: `acct-${address}`, account: 'acct' });

describe('RateLimitStore attempts, in process', () => {
  it('locks a pair at its threshold and leaves the other addresses of the account alone', async () => {
    const store = inProcessStore();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect(await store.reserveAttempt(pairOf('a'), LIMITS)).toBe(0);
    }
    const waitMs = await store.reserveAttempt(pairOf('a'), LIMITS);
    expect(waitMs).toBeGreaterThan(59_000);
    expect(waitMs).toBeLessThanOrEqual(60_000);
    expect(await store.reserveAttempt(pairOf('b'), LIMITS)).toBe(0);
  });

  it('past the account threshold refuses addresses with failures and admits clean ones', async () => {
    const store = inProcessStore();
    for (const address of ['a', 'a', 'b', 'b', 'c']) {
      expect(await store.reserveAttempt(pairOf(address), LIMITS)).toBe(0);
    }
    expect(await store.reserveAttempt(pairOf('a'), LIMITS)).toBeGreaterThan(0);
    expect(await store.reserveAttempt(pairOf('c'), LIMITS)).toBeGreaterThan(0);
    expect(await store.reserveAttempt(pairOf('owner'), LIMITS)).toBe(0);
    await store.attemptSucceeded(pairOf('owner'));
    expect(await store.reserveAttempt(pairOf('owner'), LIMITS)).toBe(0);
  });

  it('gives a successful attempt back to the account and forgives its pair', async () => {
    const store = inProcessStore();
    for (let round = 0; round < 10; round += 1) {
      expect(await store.reserveAttempt(pairOf('a'), LIMITS)).toBe(0);
      await store.attemptSucceeded(pairOf('a'));
    }
    for (const address of ['a', 'a', 'b', 'b']) {
      expect(await store.reserveAttempt(pairOf(address), LIMITS)).toBe(0);
    }
    expect(await store.reserveAttempt(pairOf('a'), LIMITS)).toBe(0);
  });
});
