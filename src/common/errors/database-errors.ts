import { QueryFailedError } from 'typeorm';

/** PostgreSQL SQLSTATE codes the service reacts to. */
export const PG_UNIQUE_VIOLATION = '23505';
const PG_FOREIGN_KEY_VIOLATION = '23503';
const PG_QUERY_CANCELED = '57014';
const PG_SERIALIZATION_FAILURE = '40001';
const PG_DEADLOCK_DETECTED = '40P01';
const PG_TOO_MANY_CONNECTIONS = '53300';

const NODE_CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
]);
const POOL_CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection terminated unexpectedly',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end on the pool',
];

export type DatabaseFailure = 'unique_violation' | 'conflict' | 'unavailable' | 'retryable';

function sqlState(error: unknown): string | undefined {
  const candidate: unknown = error instanceof QueryFailedError ? error.driverError : error;
  const code = (candidate as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Sorts a database error into what the client should be told; undefined for anything else. */
export function classifyDatabaseError(error: unknown): DatabaseFailure | undefined {
  // Duck-typed, not `instanceof Error`: driver errors may come from another realm (vm contexts).
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof error !== 'object' || typeof message !== 'string') return undefined;
  const code = sqlState(error);
  if (code === PG_UNIQUE_VIOLATION) return 'unique_violation';
  if (code === PG_FOREIGN_KEY_VIOLATION) return 'conflict';
  if (code === PG_SERIALIZATION_FAILURE || code === PG_DEADLOCK_DETECTED) return 'retryable';
  if (code === PG_QUERY_CANCELED || code === PG_TOO_MANY_CONNECTIONS) return 'unavailable';
  // Class 08 is connection exceptions; 57P0x is the server shutting down or restarting.
  if (code && (code.startsWith('08') || /^57P0\d$/.test(code))) return 'unavailable';
  if (code && NODE_CONNECTION_ERRORS.has(code)) return 'unavailable';
  if (POOL_CONNECTION_MESSAGES.some((fragment) => message.includes(fragment))) return 'unavailable';
  return undefined;
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (sqlState(error) !== PG_UNIQUE_VIOLATION) return false;
  if (!constraint) return true;
  const driverError: unknown = error instanceof QueryFailedError ? error.driverError : error;
  return (driverError as { constraint?: string }).constraint === constraint;
}
