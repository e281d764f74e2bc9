import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../common/security/authenticated-user.js';
import { routePatternOf } from '../common/http/request-context.js';
import { buildEntryKey, normalizeQuery } from './cache-key.js';
import { CACHE_RESPONSE_KEY, type CacheResponseOptions } from './cache-response.decorator.js';
import { ResponseCache, type CachedResponse } from './response-cache.service.js';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
// Response headers that belong to the representation and must be replayed on a hit.
const REPLAYED_HEADERS = ['etag', 'cache-control', 'vary'];

function applyCached(response: Response, cached: CachedResponse, outcome: 'HIT' | 'MISS'): string {
  for (const [name, value] of Object.entries(cached.headers)) response.setHeader(name, value);
  response.setHeader('Content-Type', JSON_CONTENT_TYPE);
  response.setHeader('X-Cache', outcome);
  return cached.body;
}

/**
 * Caches GET responses of routes marked `@CacheResponse`. The body is stored serialized and sent
 * as is on a hit (exactly the bytes the uncached path sends); only 200s without Set-Cookie are
 * stored; concurrent misses of one key in this process make one load (single flight). Runs after
 * the guards, so only authorized callers ever reach a cached response.
 */
@Injectable()
export class HttpCacheInterceptor implements NestInterceptor {
  private readonly inflight = new Map<string, Promise<CachedResponse | undefined>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly cache: ResponseCache,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const options = this.reflector.get<CacheResponseOptions | undefined>(
      CACHE_RESPONSE_KEY,
      context.getHandler(),
    );
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    if (!options || request.method !== 'GET' || !this.cache.isEnabled) return next.handle();
    const userId = request.user?.id;
    if (options.scope === 'user' && !userId) return next.handle();
    return from(this.serve(options, request, http.getResponse<Response>(), next, userId));
  }

  private async serve(
    options: CacheResponseOptions,
    request: Request,
    response: Response,
    next: CallHandler,
    userId: string | undefined,
  ): Promise<unknown> {
    const params = request.params as Record<string, string>;
    const key = buildEntryKey({
      method: 'GET',
      route: routePatternOf(request) ?? request.path,
      params,
      query: normalizeQuery(request.query, options.queryDefaults),
      userId: options.scope === 'user' ? userId : undefined,
    });
    const tags = options.tags({ params, userId });
    if (!tags) return lastValueFrom(next.handle(), { defaultValue: undefined });
    const lookup = await this.cache.lookup(key, tags);
    if (lookup.hit) return applyCached(response, lookup.hit, 'HIT');

    const pending = this.inflight.get(key);
    if (pending) {
      const shared = await pending;
      if (shared) return applyCached(response, shared, 'MISS');
    }

    const loading = this.load(next, response);
    // Followers only need the cacheable result; a failed load makes them load for themselves.
    const sharable = loading.then(
      (loaded) => loaded.cached,
      () => undefined,
    );
    this.inflight.set(key, sharable);
    try {
      const { body, cached } = await loading;
      if (!cached) return body;
      if (lookup.versions) await this.cache.store(key, lookup.versions, cached, options.ttlS);
      return applyCached(response, cached, 'MISS');
    } finally {
      if (this.inflight.get(key) === sharable) this.inflight.delete(key);
    }
  }

  /** Runs the handler; `cached` is set only when the response may be stored. */
  private async load(
    next: CallHandler,
    response: Response,
  ): Promise<{ body: unknown; cached?: CachedResponse }> {
    const body: unknown = await lastValueFrom(next.handle(), { defaultValue: undefined });
    if (
      response.statusCode !== 200 ||
      response.getHeader('set-cookie') !== undefined ||
      body === undefined
    ) {
      return { body };
    }
    const headers: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = response.getHeader(name);
      if (value !== undefined) headers[name] = String(value);
    }
    return { body, cached: { body: JSON.stringify(body), headers } };
  }
}
