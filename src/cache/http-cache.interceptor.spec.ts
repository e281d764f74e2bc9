import { describe, expect, it } from '@jest/globals';
import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { lastValueFrom, Observable } from 'rxjs';
import { CACHE_RESPONSE_KEY, type CacheResponseOptions } from './cache-response.decorator.js';
import { HttpCacheInterceptor } from './http-cache.interceptor.js';
import type { CacheLookup, ResponseCache } from './response-cache.service.js';

/** An in-memory stand-in for the shared store: always a miss, stores what it is given. */
class FakeResponseCache {
  stored: string[] = [];
  isEnabled = true;
  lookup(): Promise<CacheLookup> {
    return Promise.resolve({ versions: ['v1'] });
  }
  store(key: string): Promise<void> {
    this.stored.push(key);
    return Promise.resolve();
  }
}

function httpContext(options: CacheResponseOptions, userId: string): ExecutionContext {
  const handler = () => undefined;
  Reflect.defineMetadata(CACHE_RESPONSE_KEY, options, handler);
  const headers = new Map<string, unknown>();
  const request = {
    method: 'GET',
    params: {},
    query: {},
    path: '/me',
    user: { id: userId },
    route: { path: '/me' },
    baseUrl: '',
  };
  const response = {
    statusCode: 200,
    getHeader: (name: string) => headers.get(name),
    setHeader: (name: string, value: unknown) => headers.set(name, value),
  };
  return {
    getHandler: () => handler,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ExecutionContext;
}

/** A handler that resolves only when `release` is called, counting how often it ran. */
function slowHandler(body: unknown) {
  let runs = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const handler: CallHandler = {
    handle: () =>
      new Observable((subscriber) => {
        runs += 1;
        void gate.then(() => {
          subscriber.next(body);
          subscriber.complete();
        });
      }),
  };
  return { handler, release: () => release(), runs: () => runs };
}

describe('HttpCacheInterceptor single flight', () => {
  const options: CacheResponseOptions = { scope: 'user', tags: () => ['user:1'] };

  it('runs the handler once for concurrent misses of one key, and all callers get its body', async () => {
    const cache = new FakeResponseCache();
    const interceptor = new HttpCacheInterceptor(
      new Reflector(),
      cache as unknown as ResponseCache,
    );
    const { handler, release, runs } = slowHandler({ id: '1', name: 'Ada' });

    const answers = Array.from({ length: 5 }, () =>
      lastValueFrom(interceptor.intercept(httpContext(options, 'user-1'), handler)),
    );
    await new Promise((resolve) => setImmediate(resolve));
    release();

    expect(await Promise.all(answers)).toEqual(Array(5).fill('{"id":"1","name":"Ada"}'));
    expect(runs()).toBe(1);
    expect(cache.stored).toHaveLength(1);
  });

  it('does not share a load between different users', async () => {
    const cache = new FakeResponseCache();
    const interceptor = new HttpCacheInterceptor(
      new Reflector(),
      cache as unknown as ResponseCache,
    );
    const { handler, release, runs } = slowHandler({ id: 'x' });

    const answers = ['user-1', 'user-2'].map((userId) =>
      lastValueFrom(interceptor.intercept(httpContext(options, userId), handler)),
    );
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await Promise.all(answers);

    expect(runs()).toBe(2);
  });
});
