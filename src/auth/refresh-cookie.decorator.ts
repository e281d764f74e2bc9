import {
  applyDecorators,
  createParamDecorator,
  type ExecutionContext,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import { ApiCookieAuth } from '@nestjs/swagger';
import { RefreshCookieInterceptor } from './refresh-cookie.interceptor.js';
import {
  REFRESH_COOKIE_KEY,
  REFRESH_COOKIE_SECURITY,
  type RefreshCookieRequest,
  type RefreshCookieUse,
} from './refresh-cookie.js';

export function RefreshCookie(use: RefreshCookieUse) {
  return applyDecorators(
    SetMetadata(REFRESH_COOKIE_KEY, use),
    UseInterceptors(RefreshCookieInterceptor),
    ...(use.accepts ? [ApiCookieAuth(REFRESH_COOKIE_SECURITY)] : []),
  );
}

/** The accepted refresh cookie; undefined without cookie mode or without the cookie. */
export const PresentedRefreshCookie = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | undefined =>
    context.switchToHttp().getRequest<RefreshCookieRequest>().refreshCookie,
);
