import { QueryFailedError } from 'typeorm';

export interface LoggableError {
  type: string;
  message: string;
  code?: string;
  stack?: string;
}

/**
 * What of an unexpected error reaches the log: its type, message, code and stack, nothing else.
 * Logging the object itself would serialize every field, and a TypeORM QueryFailedError carries
 * `query`, `parameters` (password hashes, token hashes, emails) and the driver's error.
 */
export function loggableError(error: unknown): LoggableError {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  const source: unknown = error instanceof QueryFailedError ? error.driverError : error;
  const code = (source as { code?: unknown } | null)?.code;
  return {
    type: error.name,
    message: error.message,
    ...(typeof code === 'string' || typeof code === 'number' ? { code: String(code) } : {}),
    stack: error.stack,
  };
}
