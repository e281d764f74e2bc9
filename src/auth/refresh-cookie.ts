import type { IncomingHttpHeaders } from 'node:http';
import type { Request } from 'express';
import { API_PREFIX } from '../common/http/api-prefix.js';

export const REFRESH_COOKIE_KEY = 'refreshCookie';

/**
 * What a route does with the refresh cookie in cookie mode: `accepts` it in place of a token in
 * the body (or a bearer token), and on success `sets` it from the issued pair or `clears` it.
 */
export interface RefreshCookieUse {
  accepts: boolean;
  response: 'set' | 'clear';
}

/** A request whose refresh cookie passed the Origin check (RefreshCookieGuard). */
export type RefreshCookieRequest = Request & { refreshCookie?: string };

/** Browser cookie mode (AUTH_COOKIES): the refresh token also travels as this cookie. */
export const REFRESH_COOKIE_NAME = 'refresh_token';
/** Sent only to the auth routes, never to the rest of the API. */
export const REFRESH_COOKIE_PATH = `/${API_PREFIX}/auth`;

/** The OpenAPI security scheme of the cookie. */
export const REFRESH_COOKIE_SECURITY = 'refreshCookie';

const ATTRIBUTES = `HttpOnly; Secure; SameSite=Strict; Path=${REFRESH_COOKIE_PATH}`;

/** The `Set-Cookie` value that stores `token` for `maxAgeS` seconds. */
export function refreshCookie(token: string, maxAgeS: number): string {
  return `${REFRESH_COOKIE_NAME}=${token}; Max-Age=${Math.max(0, Math.floor(maxAgeS))}; ${ATTRIBUTES}`;
}

/** The `Set-Cookie` value that deletes the cookie (same name, path and attributes). */
export function clearedRefreshCookie(): string {
  return `${REFRESH_COOKIE_NAME}=; Max-Age=0; ${ATTRIBUTES}`;
}

/** The refresh cookie's value in a `Cookie` header; undefined when absent or empty. */
export function readRefreshCookie(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const pair of cookieHeader.split(';')) {
    const separator = pair.indexOf('=');
    if (separator < 0 || pair.slice(0, separator).trim() !== REFRESH_COOKIE_NAME) continue;
    const value = pair
      .slice(separator + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    return value || undefined;
  }
  return undefined;
}

/**
 * CSRF defence for requests that carry the cookie: the `Origin` must be one of CORS_ORIGINS.
 * Browsers send `Origin` on every POST (same-origin ones included); without it, only a request
 * the browser itself marks same-origin (`Sec-Fetch-Site`, which scripts cannot set) passes.
 * `Origin: null` (sandboxed frames, privacy redirects) never does.
 */
export function isAllowedCookieOrigin(
  headers: IncomingHttpHeaders,
  allowedOrigins: readonly string[],
): boolean {
  const origin = headers.origin;
  if (origin === undefined) return headers['sec-fetch-site'] === 'same-origin';
  const normalized = origin.trim().toLowerCase();
  return (
    normalized !== 'null' &&
    allowedOrigins.some((allowed) => allowed.toLowerCase().replace(/\/+$/, '') === normalized)
  );
}
