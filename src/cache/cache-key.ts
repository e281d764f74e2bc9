import { createHash } from 'node:crypto';

export type QueryValue = string | string[] | undefined;

/** Sorted keys, defaults applied, repeated parameters kept in order: equal queries, equal text. */
export function normalizeQuery(
  query: Record<string, unknown>,
  defaults: Record<string, string | number> = {},
): string {
  const merged: Record<string, unknown> = { ...defaults, ...query };
  return Object.keys(merged)
    .filter((name) => merged[name] !== undefined)
    .sort()
    .map((name) => {
      const value = merged[name];
      const values = Array.isArray(value) ? value : [value];
      return values
        .map((item) => `${encodeURIComponent(name)}=${encodeURIComponent(String(item))}`)
        .join('&');
    })
    .join('&');
}

export interface EntryKeyParts {
  method: string;
  route: string;
  params: Record<string, string>;
  query: string;
  /** Set for per-user routes only. */
  userId?: string;
}

/**
 * The cache key of a response. Hashed: query strings are client-controlled and unbounded, and
 * Redis keys should be short.
 */
export function buildEntryKey(parts: EntryKeyParts): string {
  const params = Object.keys(parts.params)
    .sort()
    .map((name) => `${name}=${parts.params[name]}`)
    .join('&');
  const identity = [
    parts.method,
    parts.route,
    params,
    parts.query,
    parts.userId ? `u=${parts.userId}` : 'public',
  ].join('|');
  return createHash('sha256').update(identity).digest('base64url');
}
