import { describe, expect, it } from '@jest/globals';
import { MAX_RETRY_DELAY_MS, retryDelayMs } from './retry-delay.js';

const middle = () => 0.5;

describe('retryDelayMs', () => {
  it('waits the base delay after the first failure and doubles it after each further one', () => {
    expect([1, 2, 3, 4, 5].map((attempts) => retryDelayMs(attempts, 30_000, middle))).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000,
    ]);
  });

  it('spreads each delay by at most 20% either way', () => {
    expect(retryDelayMs(3, 1000, () => 0)).toBe(3200);
    expect(retryDelayMs(3, 1000, () => 0.999999)).toBe(4800);
  });

  it('never waits longer than an hour, however many attempts failed', () => {
    for (const attempts of [8, 12, 50, 1000]) {
      expect(retryDelayMs(attempts, 30_000, () => 0.999999)).toBe(MAX_RETRY_DELAY_MS);
    }
    expect(retryDelayMs(9, 30_000, () => 0)).toBe(MAX_RETRY_DELAY_MS);
  });

  it('treats a first attempt number below 1 as the first', () => {
    expect(retryDelayMs(0, 1000, middle)).toBe(1000);
  });
});
