import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';
import pretty from 'pino-pretty';
import type { AppConfig } from '../config/app-config.js';
import { pathOf, requestIdOf, routePatternOf } from '../common/http/request-context.js';
import type { Request } from 'express';

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

export function createRootLogger(
  config: Pick<AppConfig, 'logLevel' | 'env'>,
  destination?: DestinationStream,
): Logger {
  const options: LoggerOptions = {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: CENSOR },
    base: { service: 'user-auth-service' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (destination) return pino(options, destination);
  if (config.env === 'development') {
    return pino(
      options,
      pretty({ colorize: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l' }),
    );
  }
  // Asynchronous writes keep logging off the request's critical path; pino flushes on exit.
  // Tests write synchronously, so nothing is lost when a test process ends.
  const isAsync = config.env === 'production';
  return pino(
    options,
    pino.destination({ dest: 1, sync: !isAsync, minLength: isAsync ? 4096 : 0 }),
  );
}

const isHealthProbe = (request: IncomingMessage): boolean =>
  (request.url ?? '').startsWith('/health/');

/** One access line per request: method, route, status, duration, request id. */
export function createHttpLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    quietReqLogger: true,
    quietResLogger: true,
    genReqId: (request) => requestIdOf(request as Request),
    customAttributeKeys: { reqId: 'requestId', responseTime: 'durationMs' },
    customLogLevel: (request, response, error) => {
      if (error || response.statusCode >= 500) return 'error';
      if (isHealthProbe(request)) return 'debug';
      return 'info';
    },
    customSuccessMessage: (request, response) =>
      `${request.method} ${pathOf(request as Request)} ${response.statusCode}`,
    customErrorMessage: (request, response) =>
      `${request.method} ${pathOf(request as Request)} ${response.statusCode}`,
    customSuccessObject: (request, response, value: Record<string, unknown>) =>
      accessLine(request, response, value),
    customErrorObject: (request, response, _error, value: Record<string, unknown>) =>
      accessLine(request, response, value),
  });
}

function accessLine(
  request: IncomingMessage,
  response: ServerResponse,
  value: Record<string, unknown>,
): Record<string, unknown> {
  return {
    method: request.method,
    route: routePatternOf(request as Request) ?? null,
    path: pathOf(request as Request),
    status: response.statusCode,
    durationMs: value.durationMs,
  };
}
