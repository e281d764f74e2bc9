import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { type Observable, tap } from 'rxjs';
import type { AccountConfig } from '../config/app-config.js';
import { ACCOUNT_CONFIG } from '../config/config-slices.js';
import type { TokenPair } from './auth.service.js';
import {
  clearedRefreshCookie,
  REFRESH_COOKIE_KEY,
  refreshCookie,
  type RefreshCookieUse,
} from './refresh-cookie.js';

/**
 * Cookie mode: after a successful sign-in or refresh, sets the refresh cookie from the issued
 * pair (for the refresh token's lifetime); after a logout, deletes it. Errors leave it alone.
 */
@Injectable()
export class RefreshCookieInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @Inject(ACCOUNT_CONFIG) private readonly config: Pick<AccountConfig, 'cookies'>,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const use = this.reflector.get<RefreshCookieUse | undefined>(
      REFRESH_COOKIE_KEY,
      context.getHandler(),
    );
    if (!this.config.cookies || !use) return next.handle();
    const response = context.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      tap((result: unknown) => {
        response.append(
          'Set-Cookie',
          use.response === 'set'
            ? refreshCookie(
                (result as TokenPair).refreshToken,
                (result as TokenPair).refreshExpiresIn,
              )
            : clearedRefreshCookie(),
        );
      }),
    );
  }
}
