import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import {
  type ContextualRequest,
  elapsedMs,
  pathOf,
  requestContextStorage,
  routePatternOf,
} from '../common/http/request-context.js';
import { type TraceIdSource, traceIdSource } from '../common/tracing/trace-ids.js';

const CENSOR = '[REDACTED]';
const SECRET_FIELDS = [
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'token',
  'accessToken',
  'refreshToken',
  'authorization',
  'cookie',
  'secret',
];

/** Secrets never reach a log line, at the top level or two levels down, nor in headers. */
export const REDACTED_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
  ...SECRET_FIELDS.map((field) => `*.*.${field}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export interface Loggers {
  /** Application logs (Nest, services): secrets redacted, request id added from the context. */
  root: Logger;
  /** One line per request, built from known-safe fields only, so it skips redaction's cost. */
  access: Logger;
}

function baseOptions(config: Pick<AppConfig, 'logLevel'>): LoggerOptions {
  return {
    level: config.logLevel,
    base: { service: 'user-auth-service' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

function createDestination(config: Pick<AppConfig, 'env'>): DestinationStream {
  if (config.env === 'development') {
    // Loaded only here, never in production. Formatted in-process: a transport's worker thread
    // starts from pino's own files, which the bundle (dist/bundle) does not have beside it.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
    return pretty.build({
      colorize: true,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      sync: true,
    });
  }
  // Production writes asynchronously in 4 KiB batches, off the request's critical path (pino
  // flushes on exit); tests write synchronously so nothing is lost when a test process ends.
  const isAsync = config.env === 'production';
  return pino.destination({ dest: 1, sync: !isAsync, minLength: isAsync ? 4096 : 0 });
}

/** The request id, and with tracing on the active span's `trace_id` and `span_id`. */
function contextMixin(traceIds: TraceIdSource | undefined): () => object {
  const requestFields = (): object => {
    const context = requestContextStorage.getStore();
    return context ? { requestId: context.requestId } : {};
  };
  if (!traceIds) return requestFields;
  return () => ({ ...requestFields(), ...traceIds() });
}

export function createLoggers(
  config: Pick<AppConfig, 'logLevel' | 'env'>,
  destination: DestinationStream = createDestination(config),
  traceIds: TraceIdSource | undefined = traceIdSource(),
): Loggers {
  const root = pino(
    {
      ...baseOptions(config),
      redact: { paths: REDACTED_PATHS, censor: CENSOR },
      mixin: contextMixin(traceIds),
    },
    destination,
  );
  const access = pino(baseOptions(config), destination);
  return { root, access };
}

/**
 * One access line per request: method, route, path, status, duration, request id, and with
 * tracing on the trace and span ids of the request's server span.
 */
export function accessLogMiddleware(
  access: Logger,
  traceIds: TraceIdSource | undefined = traceIdSource(),
): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    // Read here, where the request's span is active; 'finish' listeners may run outside it.
    const trace = traceIds?.();
    response.once('finish', () => {
      const status = response.statusCode;
      // Probes come every few seconds from every orchestrator node: debug only, unless failing.
      const level =
        status >= 500 ? 'error' : request.path.startsWith('/health/') ? 'debug' : 'info';
      if (!access.isLevelEnabled(level)) return;
      const context = (request as ContextualRequest).context;
      const path = pathOf(request);
      access[level](
        {
          requestId: context?.requestId,
          method: request.method,
          route: routePatternOf(request) ?? null,
          path,
          status,
          durationMs: context ? elapsedMs(context) : undefined,
          ...trace,
        },
        `${request.method} ${path} ${status}`,
      );
    });
    next();
  };
}
