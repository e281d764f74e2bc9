import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type {
  AuthenticatedRequest,
  AuthenticatedUser,
} from '../common/security/authenticated-user.js';
import { IS_PUBLIC_KEY } from '../common/decorators/public.decorator.js';
import { DomainError } from '../common/errors/domain-error.js';
import { AuthErrors } from './auth.errors.js';
import type { RefreshCookieRequest } from './refresh-cookie.js';
import { SessionRevocationService } from './session-revocation.service.js';
import { VerifiedTokenCache } from './verified-token.cache.js';

function bearerToken(request: AuthenticatedRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header || header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ') {
    return undefined;
  }
  return header.slice(7).trim() || undefined;
}

/**
 * Deny by default: every route needs a valid, unrevoked access token unless marked `@Public()`.
 * The signature is verified by the passport-jwt strategy once per token per process (then
 * remembered); the session's revocation is checked on every request.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifiedTokens: VerifiedTokenCache,
    private readonly revocation: SessionRevocationService,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;

    const request = context
      .switchToHttp()
      .getRequest<AuthenticatedRequest & RefreshCookieRequest>();
    const token = bearerToken(request);
    // Cookie mode: a route that accepts the refresh cookie (logout) authenticates with it when
    // the request has no bearer token, or one that is no longer valid (an expired access token).
    const hasRefreshCookie = request.refreshCookie !== undefined;
    if (!token) {
      if (hasRefreshCookie) return true;
      throw AuthErrors.tokenMissing();
    }
    try {
      return await this.authenticate(context, request, token);
    } catch (error) {
      if (hasRefreshCookie && error instanceof DomainError && error.kind === 'unauthorized') {
        request.user = undefined;
        return true;
      }
      throw error;
    }
  }

  private async authenticate(
    context: ExecutionContext,
    request: AuthenticatedRequest,
    token: string,
  ): Promise<boolean> {
    let user = this.verifiedTokens.get(token);
    if (user) {
      request.user = user;
    } else {
      await super.canActivate(context);
      user = request.user;
      if (!user) throw AuthErrors.tokenInvalid();
      this.verifiedTokens.set(token, user);
    }
    if (!(await this.revocation.isSessionActive(user.sessionId))) throw AuthErrors.sessionRevoked();
    return true;
  }

  override handleRequest<TUser = AuthenticatedUser>(
    error: unknown,
    user: TUser,
    info: unknown,
  ): TUser {
    if (error instanceof DomainError) throw error;
    if (user) return user;
    const reason = info ?? error;
    if (reason instanceof DomainError) throw reason;
    if ((reason as Error | undefined)?.name === 'TokenExpiredError') {
      throw AuthErrors.tokenExpired();
    }
    throw AuthErrors.tokenInvalid();
  }
}
