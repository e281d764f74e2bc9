export type DomainErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'unavailable';

export interface FieldError {
  field: string;
  message: string;
}

export interface DomainErrorOptions {
  fieldErrors?: FieldError[];
  /** Seconds a client should wait before retrying (rate limits, unavailable dependencies). */
  retryAfterS?: number;
  /** Extra RFC 9457 members for the client (e.g. which health checks failed). */
  extensions?: Record<string, unknown>;
}

/**
 * What services throw. It names what went wrong in the domain's words (a stable `code` and a
 * `kind`); the problem+json filter alone decides the HTTP status.
 */
export class DomainError extends Error {
  readonly fieldErrors?: FieldError[];
  readonly retryAfterS?: number;
  readonly extensions?: Record<string, unknown>;

  constructor(
    readonly code: string,
    readonly kind: DomainErrorKind,
    message: string,
    options: DomainErrorOptions = {},
  ) {
    super(message);
    this.name = 'DomainError';
    this.fieldErrors = options.fieldErrors;
    this.retryAfterS = options.retryAfterS;
    this.extensions = options.extensions;
  }
}
