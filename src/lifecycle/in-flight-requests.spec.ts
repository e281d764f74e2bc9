import { describe, expect, it } from '@jest/globals';
import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { lastValueFrom, Subject } from 'rxjs';
import { InFlightRequests } from './in-flight-requests.js';

const context = {} as ExecutionContext;

function pendingHandler() {
  const subject = new Subject<unknown>();
  const handler: CallHandler = { handle: () => subject.asObservable() };
  return {
    handler,
    finish: () => subject.complete(),
    fail: () => subject.error(new Error('boom')),
  };
}

describe('InFlightRequests', () => {
  it('is idle at once when nothing runs', async () => {
    await expect(new InFlightRequests().idle()).resolves.toBeUndefined();
  });

  it('becomes idle only when every running handler has finished, successfully or not', async () => {
    const tracker = new InFlightRequests();
    const first = pendingHandler();
    const second = pendingHandler();
    const runs = [
      lastValueFrom(tracker.intercept(context, first.handler), { defaultValue: undefined }),
      lastValueFrom(tracker.intercept(context, second.handler), { defaultValue: undefined }).catch(
        () => 'failed',
      ),
    ];
    let isIdle = false;
    const idle = tracker.idle().then(() => (isIdle = true));

    first.finish();
    await runs[0];
    await new Promise((resolve) => setImmediate(resolve));
    expect(isIdle).toBe(false);

    second.fail();
    expect(await runs[1]).toBe('failed');
    await idle;
    expect(isIdle).toBe(true);
  });
});
