import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../common/security/authenticated-user.js';
import { routePatternOf } from '../common/http/request-context.js';
import { buildEntryKey, hasUndeclaredNames, normalizeParams, normalizeQuery } from './cache-key.js';
import { CACHE_RESPONSE_KEY, type CacheResponseOptions } from './cache-response.decorator.js';
import { declaredQueryOf } from './declared-query.js';
import { ResponseCache, type CachedResponse } from './response-cache.service.js';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
// Response headers that belong to the representation and must be replayed on a hit.
// (Cache-Control is set for every response by the security headers middleware.)
const REPLAYED_HEADERS = ['etag', 'vary'];

function applyCached(response: Response, cached: CachedResponse, outcome: 'HIT' | 'MISS'): string {
  for (const [name, value] of Object.entries(cached.headers)) response.setHeader(name, value);
  response.setHeader('Content-Type', JSON_CONTENT_TYPE);
  response.setHeader('X-Cache', outcome);
  return cached.body;
}

/** One load in progress, shared by the requests that missed the same key at the same versions. */
class Flight {
  hasJoiners = false;
  private resolve: (shared: CachedResponse | undefined) => void = () => undefined;
  /** The response to answer joiners with; undefined makes each joiner load for itself. */
  readonly shared = new Promise<CachedResponse | undefined>((resolve) => {
    this.resolve = resolve;
  });

  settle(shared: CachedResponse | undefined): void {
    this.resolve(shared);
  }
}

/** A handler's answer; `cached` is set only when the response may be stored. */
interface Loaded {
  body: unknown;
  cached?: CachedResponse;
}

interface Entry {
  key: string;
  tags: string[];
  ttlS?: number;
}

/**
 * Caches GET responses of routes marked `@CacheResponse`. The body is stored serialized and sent
 * as is on a hit (exactly the bytes the uncached path sends); only 200s without Set-Cookie are
 * stored; concurrent misses of one key at the same tag versions in this process make one load
 * (single flight). Runs after the guards, so only authorized callers ever reach a cached response.
 */
@Injectable()
export class HttpCacheInterceptor implements NestInterceptor {
  private readonly inflight = new Map<string, Flight>();

  constructor(
    private readonly reflector: Reflector,
    private readonly cache: ResponseCache,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const handler = context.getHandler();
    const options = this.reflector.get<CacheResponseOptions | undefined>(
      CACHE_RESPONSE_KEY,
      handler,
    );
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    if (!options || request.method !== 'GET' || !this.cache.isEnabled) return next.handle();
    const userId = request.user?.id;
    if (options.scope === 'user' && !userId) return next.handle();

    const query = request.query as Record<string, unknown>;
    const declared = declaredQueryOf(context.getClass(), handler);
    // Unbounded inputs, or a name the validation pipe will refuse: no key for it.
    if (!declared || (declared.refusesUndeclared && hasUndeclaredNames(query, declared))) {
      return next.handle();
    }
    const params = normalizeParams(request.params as Record<string, string>);
    const tags = options.tags({ params, userId });
    if (!tags) return next.handle();
    const key = buildEntryKey({
      method: 'GET',
      route: routePatternOf(request) ?? request.path,
      params,
      query: normalizeQuery(query, declared),
      userId: options.scope === 'user' ? userId : undefined,
    });
    const response = http.getResponse<Response>();
    return from(this.serve({ key, tags, ttlS: options.ttlS }, response, next));
  }

  private async serve(entry: Entry, response: Response, next: CallHandler): Promise<unknown> {
    const lookup = await this.cache.lookup(entry.key, entry.tags);
    if (lookup.hit) return applyCached(response, lookup.hit, 'HIT');
    // Without versions nothing tells a joiner whether a write overtook the load: load alone.
    if (!lookup.versions) return this.loadAlone(next, response);

    // Keyed by the versions too: a request that saw a write's new versions never joins a load
    // that started before the write.
    const flightKey = `${entry.key}|${lookup.versions.join(',')}`;
    const joined = this.inflight.get(flightKey);
    if (joined) {
      joined.hasJoiners = true;
      const shared = await joined.shared;
      return shared ? applyCached(response, shared, 'MISS') : this.loadAlone(next, response);
    }
    return this.lead(entry, lookup.versions, flightKey, next, response);
  }

  private async lead(
    entry: Entry,
    versions: string[],
    flightKey: string,
    next: CallHandler,
    response: Response,
  ): Promise<unknown> {
    const flight = new Flight();
    this.inflight.set(flightKey, flight);
    try {
      const { body, cached } = await this.load(next, response);
      if (!cached) {
        flight.settle(undefined);
        return body;
      }
      // A write may have completed while the load ran; its joiners must not get an older body. A
      // load nobody joined is stored without the check: under its old versions it is never read.
      if (flight.hasJoiners && !(await this.cache.hasVersions(entry.tags, versions))) {
        flight.settle(undefined);
        return applyCached(response, cached, 'MISS');
      }
      flight.settle(cached);
      await this.cache.store(entry.key, versions, cached, entry.ttlS);
      return applyCached(response, cached, 'MISS');
    } catch (error) {
      flight.settle(undefined);
      throw error;
    } finally {
      // Registered until the entry is stored: a request that misses at these versions meanwhile
      // joins rather than reading the database again (under load it arrived after the read and
      // made a second one). Joining needs the same versions, so it never skips a write it saw.
      if (this.inflight.get(flightKey) === flight) this.inflight.delete(flightKey);
    }
  }

  /** Runs the handler for this request only; nothing is shared or stored. */
  private async loadAlone(next: CallHandler, response: Response): Promise<unknown> {
    const { body, cached } = await this.load(next, response);
    return cached ? applyCached(response, cached, 'MISS') : body;
  }

  private async load(next: CallHandler, response: Response): Promise<Loaded> {
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
