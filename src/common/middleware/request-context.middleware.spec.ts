import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import type { NextFunction, Request, Response } from 'express';
import type { ContextualRequest } from '../http/request-context.js';
import { requestContextMiddleware, resolveRequestId } from './request-context.middleware.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('resolveRequestId', () => {
  it.each([
    'abc-123',
    '5f0c6c2e-8f61-4c2b-9d0e-0f4b7b1f8a11',
    'trace:span=1/2+3@edge_4.eu',
    'a'.repeat(128),
  ])('echoes the safe id %p', (id) => {
    expect(resolveRequestId(id)).toBe(id);
  });

  it.each([
    ['an id with spaces', 'abc 123'],
    ['an id with CR/LF', 'abc\r\nSet-Cookie: session=stolen'],
    ['an id with a trailing newline', 'abc\n'],
    ['an id with markup', '<script>alert(1)</script>'],
    ['an id over 128 characters', 'a'.repeat(129)],
    ['an empty id', ''],
    ['a non-ASCII id', 'résumé'],
    ['an id starting with a separator', '-abc'],
  ])('replaces %s with a fresh UUID', (_case, id) => {
    const resolved = resolveRequestId(id);
    expect(resolved).not.toBe(id);
    expect(resolved).toMatch(UUID_V4);
  });

  it('generates a different UUID for each request without an id', () => {
    const first = resolveRequestId(undefined);
    const second = resolveRequestId(undefined);
    expect(first).toMatch(UUID_V4);
    expect(second).toMatch(UUID_V4);
    expect(first).not.toBe(second);
  });

  it('takes the first value of a repeated header', () => {
    expect(resolveRequestId(['first-id', 'second-id'])).toBe('first-id');
  });

  it('replaces a repeated header whose first value is unsafe', () => {
    expect(resolveRequestId(['bad id', 'good-id'])).toMatch(UUID_V4);
  });
});

describe('requestContextMiddleware', () => {
  function serve(headers: Record<string, string> = {}) {
    const request = new IncomingMessage(new Socket());
    request.headers = headers;
    const response = new ServerResponse(request);
    let nextCalls = 0;
    const next = (() => {
      nextCalls += 1;
    }) as NextFunction;
    requestContextMiddleware(request as unknown as Request, response as unknown as Response, next);
    return { request: request as unknown as ContextualRequest, response, nextCalls };
  }

  it('calls next once', () => {
    expect(serve().nextCalls).toBe(1);
  });

  it('sets X-Request-Id before anything is written', () => {
    const { response } = serve({ 'x-request-id': 'client-id-1' });
    expect(response.getHeader('X-Request-Id')).toBe('client-id-1');
    expect(response.headersSent).toBe(false);
  });

  it('replaces an unsafe incoming request id in the header and the request context', () => {
    const { request, response } = serve({ 'x-request-id': 'bad\r\nid' });
    const requestId = response.getHeader('X-Request-Id');
    expect(requestId).toMatch(UUID_V4);
    expect(request.context?.requestId).toBe(requestId);
  });

  it('records the request id and start time on the request', () => {
    const before = process.hrtime.bigint();
    const { request } = serve({ 'x-request-id': 'client-id-2' });
    expect(request.context?.requestId).toBe('client-id-2');
    expect(request.context?.startedAt).toBeGreaterThanOrEqual(before);
    expect(request.context?.startedAt).toBeLessThanOrEqual(process.hrtime.bigint());
  });

  it('adds no timing headers until the response head is written', () => {
    const { response } = serve();
    expect(response.getHeader('X-Response-Time')).toBeUndefined();
    expect(response.getHeader('Server-Timing')).toBeUndefined();
  });

  it('stamps X-Response-Time and Server-Timing with the same duration when the head is written', () => {
    const { response } = serve();
    response.writeHead(204);
    const responseTime = String(response.getHeader('X-Response-Time'));
    const serverTiming = String(response.getHeader('Server-Timing'));
    expect(responseTime).toMatch(/^\d+\.\d{2}ms$/);
    expect(serverTiming).toBe(`total;dur=${responseTime.slice(0, -'ms'.length)}`);
  });

  it('stamps the timing headers when the head is written implicitly by end()', () => {
    const { response } = serve();
    response.statusCode = 200;
    response.end();
    expect(response.getHeader('X-Response-Time')).toMatch(/^\d+\.\d{2}ms$/);
  });

  it('passes the status and headers given to writeHead through', () => {
    const { response } = serve({ 'x-request-id': 'client-id-3' });
    response.writeHead(201, { 'Content-Type': 'application/json' });
    expect(response.statusCode).toBe(201);
    expect(response.headersSent).toBe(true);
    expect(response.getHeader('Content-Type')).toBe('application/json');
    expect(response.getHeader('X-Request-Id')).toBe('client-id-3');
  });
});
