import { describe, expect, it } from '@jest/globals';
import { inFlightWaitMs } from './outbox.worker.js';

describe('inFlightWaitMs', () => {
  const now = 1_000_000;

  it('waits until 1.5 s before the shutdown deadline', () => {
    expect(inFlightWaitMs(now + 15_000, now)).toBe(13_500);
    expect(inFlightWaitMs(now + 2_000, now)).toBe(500);
  });

  it('does not wait once the deadline is that close or past', () => {
    expect(inFlightWaitMs(now + 1_000, now)).toBe(0);
    expect(inFlightWaitMs(now - 5_000, now)).toBe(0);
  });

  it('waits 10 s when the application closes without a signal (no deadline)', () => {
    expect(inFlightWaitMs(undefined, now)).toBe(10_000);
  });
});
