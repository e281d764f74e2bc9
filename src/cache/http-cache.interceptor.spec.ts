import { describe, expect, it } from '@jest/globals';
import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { lastValueFrom, Observable } from 'rxjs';
import { CACHE_RESPONSE_KEY, type CacheResponseOptions } from './cache-response.decorator.js';
import { HttpCacheInterceptor } from './http-cache.interceptor.js';
import type { CacheLookup, ResponseCache } from './response-cache.service.js';

/**
 * An in-memory stand-in for the shared store: always a miss, at the tags' current version (which
 * a write changes), storing what it is given.
 */
class FakeResponseCache {
  stored: string[] = [];
  isEnabled = true;
  version = 'v1';
  /** Resolves when a store may complete (at once unless a test holds it). */
  storeGate: Promise<void> = Promise.resolve();
  lookup(): Promise<CacheLookup> {
    return Promise.resolve({ versions: [this.version] });
  }
  hasVersions(_tags: string[], versions: string[]): Promise<boolean> {
    return Promise.resolve(versions[0] === this.version);
  }
  async store(key: string): Promise<void> {
    await this.storeGate;
    this.stored.push(key);
  }
}

class MeController {
  findMe() {
    return undefined;
  }
}

function httpContext(options: CacheResponseOptions, userId: string): ExecutionContext {
  const handler = MeController.prototype.findMe;
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
    getClass: () => MeController,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ExecutionContext;
}

/**
 * A handler over a one-row "database": each run reads the row when it starts and answers when
 * `release` is called, as a slow query would. Counts its runs.
 */
function slowHandler(row: { name: string }) {
  let runs = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const handler: CallHandler = {
    handle: () =>
      new Observable((subscriber) => {
        runs += 1;
        const read = { ...row };
        void gate.then(() => {
          subscriber.next(read);
          subscriber.complete();
        });
      }),
  };
  return { handler, release: () => release(), runs: () => runs };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('HttpCacheInterceptor single flight', () => {
  const options: CacheResponseOptions = { scope: 'user', tags: () => ['user:1'] };

  function setup() {
    const cache = new FakeResponseCache();
    const interceptor = new HttpCacheInterceptor(
      new Reflector(),
      cache as unknown as ResponseCache,
    );
    const get = (handler: CallHandler, userId = 'user-1') =>
      lastValueFrom(interceptor.intercept(httpContext(options, userId), handler));
    return { cache, get };
  }

  it('runs the handler once for concurrent misses of one key, and all callers get its body', async () => {
    const { cache, get } = setup();
    const { handler, release, runs } = slowHandler({ name: 'Ada' });

    const answers = Array.from({ length: 5 }, () => get(handler));
    await settle();
    release();

    expect(await Promise.all(answers)).toEqual(Array(5).fill('{"name":"Ada"}'));
    expect(runs()).toBe(1);
    expect(cache.stored).toHaveLength(1);
  });

  it('answers a miss that arrives after the load, before its entry is stored, without a second load', async () => {
    const { cache, get } = setup();
    const { handler, release, runs } = slowHandler({ name: 'Ada' });
    let releaseStore: () => void = () => undefined;
    cache.storeGate = new Promise<void>((resolve) => (releaseStore = resolve));

    const leader = get(handler);
    await settle();
    release();
    await settle();
    const late = get(handler);
    await settle();
    releaseStore();

    expect(await Promise.all([leader, late])).toEqual(['{"name":"Ada"}', '{"name":"Ada"}']);
    expect(runs()).toBe(1);
    expect(cache.stored).toHaveLength(1);
  });

  it('does not share a load between different users', async () => {
    const { get } = setup();
    const { handler, release, runs } = slowHandler({ name: 'x' });

    const answers = ['user-1', 'user-2'].map((userId) => get(handler, userId));
    await settle();
    release();
    await Promise.all(answers);

    expect(runs()).toBe(2);
  });

  it('never answers a joiner with a load that a write completed during', async () => {
    const { cache, get } = setup();
    const row = { name: 'Ada' };
    const { handler, release, runs } = slowHandler(row);

    const leader = get(handler);
    await settle();
    const joiner = get(handler);
    await settle();
    // The write completes (row and versions changed) before either request is answered.
    row.name = 'Grace';
    cache.version = 'v2';
    release();

    expect(await leader).toBe('{"name":"Ada"}');
    expect(await joiner).toBe('{"name":"Grace"}');
    expect(runs()).toBe(2);
    expect(cache.stored).toEqual([]);
  });

  it('does not join a load that started before a write it has seen', async () => {
    const { get, cache } = setup();
    const row = { name: 'Ada' };
    const { handler, release, runs } = slowHandler(row);

    const before = get(handler);
    await settle();
    row.name = 'Grace';
    cache.version = 'v2';
    const after = get(handler);
    await settle();
    release();

    expect(await before).toBe('{"name":"Ada"}');
    expect(await after).toBe('{"name":"Grace"}');
    expect(runs()).toBe(2);
  });
});
