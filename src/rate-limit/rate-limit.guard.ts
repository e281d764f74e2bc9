import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { DomainError } from '../common/errors/domain-error.js';
import type { RateLimitConfig } from '../config/app-config.js';
import { RATE_LIMIT_CONFIG } from '../config/config-slices.js';
import { RATE_LIMIT_KEY, type RateLimitPolicy } from './rate-limit.decorator.js';
import { RateLimitStore } from './rate-limit.store.js';

const WINDOW_MS = 60_000;

/**
 * Per-IP fixed-window limits for routes marked `@RateLimit(...)`, with the IETF `RateLimit-*`
 * headers on every limited response and `Retry-After` on a 429. Runs before authentication.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly store: RateLimitStore,
    @Inject(RATE_LIMIT_CONFIG) private readonly config: RateLimitConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const policy = this.reflector.get<RateLimitPolicy | undefined>(
      RATE_LIMIT_KEY,
      context.getHandler(),
    );
    if (!policy || !this.config.enabled) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();

    const limit = this.limitFor(policy);
    const { count, resetMs } = await this.store.hit(`${policy}:ip:${request.ip}`, WINDOW_MS);
    const resetS = Math.max(1, Math.ceil(resetMs / 1000));
    response.setHeader('RateLimit-Policy', `${limit};w=${WINDOW_MS / 1000}`);
    response.setHeader('RateLimit-Limit', String(limit));
    response.setHeader('RateLimit-Remaining', String(Math.max(0, limit - count)));
    response.setHeader('RateLimit-Reset', String(resetS));
    if (count > limit) {
      throw new DomainError(
        'RATE_LIMITED',
        'rate_limited',
        `Too many ${policy} requests from this address; retry in ${resetS} s.`,
        { retryAfterS: resetS },
      );
    }
    return true;
  }

  private limitFor(policy: RateLimitPolicy): number {
    const limits = this.config;
    switch (policy) {
      case 'login':
        return limits.loginPerMinute;
      case 'register':
        return limits.registerPerMinute;
      case 'refresh':
        return limits.refreshPerMinute;
    }
  }
}
