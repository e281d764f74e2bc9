import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import {
  type ContextualRequest,
  elapsedMs,
  type RequestContext,
  requestContextStorage,
} from '../http/request-context.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';

// Letters, digits and a few separators, bounded: safe in a header and in a log line.
const SAFE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:=+/@-]{0,127}$/;

/** An incoming request id we can echo safely, or a fresh one. */
export function resolveRequestId(incoming: string | string[] | undefined): string {
  const candidate = Array.isArray(incoming) ? incoming[0] : incoming;
  return candidate !== undefined && SAFE_REQUEST_ID.test(candidate) ? candidate : randomUUID();
}

/**
 * The first middleware of every request: assigns the request id and stamps `X-Request-Id`,
 * `X-Response-Time` and `Server-Timing` on the response, whoever ends up writing it (route,
 * body parser, host check or exception filter).
 */
export function requestContextMiddleware(request: Request, response: Response, next: NextFunction) {
  const startedAt = process.hrtime.bigint();
  const requestId = resolveRequestId(request.headers['x-request-id']);
  const context: RequestContext = {
    requestId,
    startedAt,
    client: () => ({ ip: request.ip, userAgent: request.headers['user-agent'] }),
  };
  (request as ContextualRequest).context = context;
  response.setHeader(REQUEST_ID_HEADER, requestId);

  const writeHead = response.writeHead.bind(response) as (...args: unknown[]) => Response;
  response.writeHead = ((...args: unknown[]) => {
    if (!response.headersSent) {
      const elapsed = elapsedMs(context).toFixed(2);
      response.setHeader('X-Response-Time', `${elapsed}ms`);
      response.setHeader('Server-Timing', `total;dur=${elapsed}`);
    }
    return writeHead(...args);
  }) as Response['writeHead'];
  // Everything the request triggers runs inside its context (log lines carry its id).
  requestContextStorage.run(context, next);
}
