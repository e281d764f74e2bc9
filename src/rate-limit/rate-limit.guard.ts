import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { clientAddressKey } from '../common/http/client-address.js';
import { RATE_LIMIT_KEY, type RateLimitPolicy } from './rate-limit.decorator.js';
import { RATE_LIMIT_WINDOW_MS, RateLimitService, rateLimited } from './rate-limit.service.js';

/**
 * Per-IP fixed-window limits for routes marked `@RateLimit(...)`, with the IETF `RateLimit-*`
 * headers on every limited response and `Retry-After` on a 429. Runs before authentication.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limits: RateLimitService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const policy = this.reflector.get<RateLimitPolicy | undefined>(
      RATE_LIMIT_KEY,
      context.getHandler(),
    );
    if (!policy || !this.limits.isEnabled) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();

    const { limit, count, resetS, isExceeded } = await this.limits.count(
      policy,
      `ip:${clientAddressKey(request.ip)}`,
    );
    response.setHeader('RateLimit-Policy', `${limit};w=${RATE_LIMIT_WINDOW_MS / 1000}`);
    response.setHeader('RateLimit-Limit', String(limit));
    response.setHeader('RateLimit-Remaining', String(Math.max(0, limit - count)));
    response.setHeader('RateLimit-Reset', String(resetS));
    if (isExceeded) throw rateLimited(`${policy} requests from this address`, resetS);
    return true;
  }
}
