import { AsyncLocalStorage } from 'node:async_hooks';
import type { Request } from 'express';

/** What the service attaches to every request before anything else runs. */
export interface RequestContext {
  requestId: string;
  startedAt: bigint;
  /** The client address (after TRUST_PROXY) and user agent, read only when asked for. */
  client: () => { ip: string | undefined; userAgent: string | undefined };
}

export type ContextualRequest = Request & { context?: RequestContext };

/** The current request's context, for code (log lines) that has no request at hand. */
export const requestContextStorage = new AsyncLocalStorage<RequestContext>();

export function requestIdOf(request: Request): string {
  return (request as ContextualRequest).context?.requestId ?? 'unknown';
}

/** The matched route pattern (e.g. `/api/v1/users/:id`), or undefined when no route matched. */
export function routePatternOf(request: Request): string | undefined {
  const routePath = (request.route as { path?: unknown } | undefined)?.path;
  // A wildcard is a catch-all middleware mount, not a matched API route.
  if (typeof routePath !== 'string' || routePath.includes('*')) return undefined;
  return `${request.baseUrl}${routePath}`;
}

/** The request path without its query string (which may carry personal data). */
export function pathOf(request: Request): string {
  const url = request.originalUrl || request.url;
  const queryStart = url.indexOf('?');
  return queryStart === -1 ? url : url.slice(0, queryStart);
}

/** Milliseconds since the request started, to 0.01 ms. */
export function elapsedMs(context: RequestContext): number {
  return Math.round(Number(process.hrtime.bigint() - context.startedAt) / 1e4) / 100;
}
