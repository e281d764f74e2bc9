import { STATUS_CODES } from 'node:http';
import { HttpException, HttpStatus } from '@nestjs/common';
import { classifyDatabaseError } from './database-errors.js';
import { DomainError, type DomainErrorKind, type FieldError } from './domain-error.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details, with the service's stable `code` and the request id. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  requestId: string;
  /** The W3C trace id of the request, when tracing is on. */
  traceId?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export interface ProblemResponse {
  body: ProblemDetails;
  headers: Record<string, string>;
  /** True when the error is ours (5xx that is not a dependency outage): log it with its stack. */
  isUnexpected: boolean;
}

export interface ProblemContext {
  path: string;
  requestId: string;
  traceId?: string;
}

const STATUS_BY_KIND: Record<DomainErrorKind, number> = {
  invalid: HttpStatus.BAD_REQUEST,
  unauthorized: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  precondition_failed: HttpStatus.PRECONDITION_FAILED,
  unsupported_media_type: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  rate_limited: HttpStatus.TOO_MANY_REQUESTS,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'ROUTE_NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  428: 'PRECONDITION_REQUIRED',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/** body-parser's error types, carried as the cause of the HttpException Nest maps them to. */
const BODY_PARSER_CODES: Record<string, { code: string; detail?: string }> = {
  'entity.parse.failed': { code: 'MALFORMED_JSON' },
  'entity.too.large': { code: 'PAYLOAD_TOO_LARGE' },
  'encoding.unsupported': { code: 'UNSUPPORTED_MEDIA_TYPE' },
  'charset.unsupported': { code: 'UNSUPPORTED_MEDIA_TYPE' },
  'request.aborted': { code: 'REQUEST_ABORTED' },
  'request.size.invalid': { code: 'BAD_REQUEST' },
};

const DATABASE_UNAVAILABLE_RETRY_AFTER_S = 5;

export function problemType(code: string): string {
  return `urn:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

function titleFor(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

function build(
  status: number,
  code: string,
  detail: string,
  context: ProblemContext,
  extra: Partial<ProblemResponse> & { errors?: FieldError[] } = {},
): ProblemResponse {
  const body: ProblemDetails = {
    type: problemType(code),
    title: titleFor(status),
    status,
    detail,
    instance: context.path,
    code,
    requestId: context.requestId,
  };
  if (context.traceId !== undefined) body.traceId = context.traceId;
  if (extra.errors && extra.errors.length > 0) body.errors = extra.errors;
  const headers = { ...extra.headers };
  // RFC 9110 requires a challenge on every 401.
  if (status === 401) headers['WWW-Authenticate'] = 'Bearer realm="api"';
  return { body, headers, isUnexpected: extra.isUnexpected ?? false };
}

function fromHttpException(exception: HttpException, context: ProblemContext): ProblemResponse {
  const status = exception.getStatus();
  const cause = exception.cause as { type?: unknown; message?: unknown } | undefined;
  const parserError = typeof cause?.type === 'string' ? BODY_PARSER_CODES[cause.type] : undefined;
  if (parserError) {
    const detail =
      parserError.code === 'MALFORMED_JSON'
        ? `The request body is not valid JSON: ${String(cause?.message)}`
        : exception.message;
    return build(status, parserError.code, detail, context);
  }
  if (status >= 500) {
    return build(status, CODE_BY_STATUS[status] ?? 'INTERNAL_ERROR', titleFor(status), context, {
      isUnexpected: status === 500,
    });
  }
  const code = CODE_BY_STATUS[status] ?? `HTTP_${status}`;
  const response = exception.getResponse();
  const message =
    typeof response === 'string'
      ? response
      : typeof (response as { message?: unknown }).message === 'string'
        ? (response as { message: string }).message
        : exception.message;
  return build(status, code, message, context);
}

/** Maps anything thrown while serving a request to the problem+json the client receives. */
export function toProblem(exception: unknown, context: ProblemContext): ProblemResponse {
  if (exception instanceof DomainError) {
    const headers: Record<string, string> = {};
    if (exception.retryAfterS !== undefined) {
      headers['Retry-After'] = String(Math.max(1, Math.ceil(exception.retryAfterS)));
    }
    const problem = build(
      STATUS_BY_KIND[exception.kind],
      exception.code,
      exception.message,
      context,
      { errors: exception.fieldErrors, headers },
    );
    if (exception.extensions) problem.body = { ...exception.extensions, ...problem.body };
    return problem;
  }
  if (exception instanceof HttpException) return fromHttpException(exception, context);

  switch (classifyDatabaseError(exception)) {
    case 'unique_violation':
      return build(
        409,
        'CONFLICT',
        'A resource with the same unique value already exists.',
        context,
      );
    case 'conflict':
      return build(409, 'CONFLICT', 'The request conflicts with related data.', context);
    case 'retryable':
      return build(503, 'DATABASE_BUSY', 'The database is busy; retry shortly.', context, {
        headers: { 'Retry-After': '1' },
      });
    case 'unavailable':
      return build(
        503,
        'DATABASE_UNAVAILABLE',
        'The database is unavailable; retry later.',
        context,
        {
          headers: { 'Retry-After': String(DATABASE_UNAVAILABLE_RETRY_AFTER_S) },
        },
      );
    case undefined:
      return build(500, 'INTERNAL_ERROR', 'An unexpected error occurred.', context, {
        isUnexpected: true,
      });
  }
}
