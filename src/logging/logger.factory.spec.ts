import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { requestContextStorage } from '../common/http/request-context.js';
import type { TraceIdSource, TraceIds } from '../common/tracing/trace-ids.js';
import { createLoggers } from './logger.factory.js';

function capture(traceIds?: TraceIdSource) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, loggers: createLoggers({ logLevel: 'info', env: 'test' }, stream, traceIds) };
}

describe('createLoggers', () => {
  it('adds the current request id to application log lines, and none outside a request', () => {
    const { lines, loggers } = capture();
    requestContextStorage.run(
      {
        requestId: 'req-42',
        startedAt: 0n,
        client: () => ({ ip: undefined, userAgent: undefined }),
      },
      () => loggers.root.info('inside'),
    );
    loggers.root.info('outside');
    expect(lines[0]).toMatchObject({
      msg: 'inside',
      requestId: 'req-42',
      service: 'user-auth-service',
    });
    expect(lines[1].requestId).toBeUndefined();
  });

  it("adds the active span's trace_id and span_id with tracing on, and nothing when no span is active", () => {
    let active: TraceIds | undefined = {
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
    };
    const { lines, loggers } = capture(() => active);
    loggers.root.info('in a span');
    active = undefined;
    loggers.root.info('outside');
    expect(lines[0]).toMatchObject({
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
    });
    expect(lines[1]).not.toHaveProperty('trace_id');
  });

  it('adds no trace fields with tracing off', () => {
    const { lines, loggers } = capture();
    loggers.root.info('x');
    expect(Object.keys(lines[0]).filter((key) => key.includes('_id'))).toEqual([]);
  });

  it('redacts passwords, tokens and authorization headers at any of the first three levels', () => {
    const { lines, loggers } = capture();
    loggers.root.info(
      {
        password: 'p1',
        body: { refreshToken: 'r1', nested: { accessToken: 'a1' } },
        req: { headers: { authorization: 'Bearer x', cookie: 'sid=1' } },
      },
      'secrets',
    );
    const text = JSON.stringify(lines[0]);
    for (const secret of ['p1', 'r1', 'a1', 'Bearer x', 'sid=1']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[REDACTED]');
  });

  it('writes JSON lines with an ISO time and the level as a word', () => {
    const { lines, loggers } = capture();
    loggers.access.warn('x');
    expect(lines[0].level).toBe('warn');
    expect(String(lines[0].time)).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});
