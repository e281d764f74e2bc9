import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { DomainError } from '../errors/domain-error.js';

/** Strips the port from a Host header value (`example.com:3000`, `[::1]:3000`). */
export function hostnameOf(hostHeader: string): string {
  const host = hostHeader.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** `example.com` matches exactly; `.example.com` matches it and any subdomain. */
export function isHostAllowed(hostHeader: string | undefined, allowedHosts: string[]): boolean {
  if (allowedHosts.length === 0) return true;
  if (!hostHeader) return false;
  const hostname = hostnameOf(hostHeader);
  return allowedHosts.some((allowed) =>
    allowed.startsWith('.')
      ? hostname === allowed.slice(1) || hostname.endsWith(allowed)
      : hostname === allowed,
  );
}

/**
 * Refuses requests for hosts the service does not serve (DNS rebinding, Host-header poisoning).
 * Health routes are exempt: orchestrators probe the pod IP.
 */
export function allowedHostsMiddleware(allowedHosts: string[]): RequestHandler {
  return (request: Request, _response: Response, next: NextFunction) => {
    if (request.path.startsWith('/health/') || isHostAllowed(request.headers.host, allowedHosts)) {
      next();
      return;
    }
    next(
      new DomainError(
        'HTTP_HOST_NOT_ALLOWED',
        'invalid',
        'The Host header names a host this service does not serve.',
      ),
    );
  };
}
