import { createHash } from 'node:crypto';
import { isUuid } from '../common/validation/uuid.js';
import type { DeclaredQuery } from './declared-query.js';

// Part of every key: a change to what a key means (its inputs, the stored entry) gets a new tag,
// so entries written by an older release are never read.
const KEY_FORMAT = 'k2';

/**
 * The declared parameters of `query`, sorted, with the route's defaults applied and repeated
 * parameters kept in order: equal queries, equal text. Undeclared names are left out, so no
 * client can add keys at will.
 */
export function normalizeQuery(query: Record<string, unknown>, declared: DeclaredQuery): string {
  const merged: Record<string, unknown> = { ...declared.defaults };
  for (const name of Object.keys(query)) {
    if (declared.names.has(name)) merged[name] = query[name];
  }
  return Object.keys(merged)
    .filter((name) => merged[name] !== undefined)
    .sort()
    .map((name) => {
      const value = merged[name];
      const values = Array.isArray(value) ? (value as unknown[]) : [value];
      return values
        .map((item) => `${encodeURIComponent(name)}=${encodeURIComponent(String(item))}`)
        .join('&');
    })
    .join('&');
}

/** Whether `query` has a name the route does not declare. */
export function hasUndeclaredNames(
  query: Record<string, unknown>,
  declared: DeclaredQuery,
): boolean {
  return Object.keys(query).some((name) => !declared.names.has(name));
}

/**
 * Path parameters as the handler sees them: UUIDs lower-cased (`ParseUuidPipe` does the same), so
 * `/users/ABC…` and `/users/abc…` share one key and one tag.
 */
export function normalizeParams(params: Record<string, string>): Record<string, string> {
  const normalized: Record<string, string> = {};
  for (const name of Object.keys(params)) {
    const value = params[name];
    normalized[name] = isUuid(value) ? value.toLowerCase() : value;
  }
  return normalized;
}

export interface EntryKeyParts {
  method: string;
  route: string;
  /** Normalized (`normalizeParams`). */
  params: Record<string, string>;
  /** Normalized (`normalizeQuery`). */
  query: string;
  /** Set for per-user routes only. */
  userId?: string;
}

/**
 * The cache key of a response. Hashed: query values are client-controlled and unbounded, and
 * Redis keys should be short.
 */
export function buildEntryKey(parts: EntryKeyParts): string {
  const params = Object.keys(parts.params)
    .sort()
    .map((name) => `${encodeURIComponent(name)}=${encodeURIComponent(parts.params[name])}`)
    .join('&');
  const identity = [
    KEY_FORMAT,
    parts.method,
    parts.route,
    params,
    parts.query,
    parts.userId ? `u=${parts.userId}` : 'public',
  ].join('|');
  return createHash('sha256').update(identity).digest('base64url');
}
