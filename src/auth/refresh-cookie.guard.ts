import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AccountConfig } from '../config/app-config.js';
import { ACCOUNT_CONFIG } from '../config/config-slices.js';
import { AuthErrors } from './auth.errors.js';
import {
  isAllowedCookieOrigin,
  readRefreshCookie,
  REFRESH_COOKIE_KEY,
  type RefreshCookieRequest,
  type RefreshCookieUse,
} from './refresh-cookie.js';

/**
 * Cookie mode: on the routes that accept the refresh cookie, a request carrying it must come
 * from an allowed origin (403 AUTH_ORIGIN_NOT_ALLOWED), and the cookie is handed on to the
 * bearer guard and the route. Global, between the rate limit and the bearer guard.
 */
@Injectable()
export class RefreshCookieGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(ACCOUNT_CONFIG)
    private readonly config: Pick<AccountConfig, 'cookies' | 'corsOrigins'>,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.config.cookies) return true;
    const use = this.reflector.get<RefreshCookieUse | undefined>(
      REFRESH_COOKIE_KEY,
      context.getHandler(),
    );
    if (!use?.accepts) return true;
    const request = context.switchToHttp().getRequest<RefreshCookieRequest>();
    const cookie = readRefreshCookie(request.headers.cookie);
    if (cookie === undefined) return true;
    if (!isAllowedCookieOrigin(request.headers, this.config.corsOrigins)) {
      throw AuthErrors.originNotAllowed();
    }
    request.refreshCookie = cookie;
    return true;
  }
}
