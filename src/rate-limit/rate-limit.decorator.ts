import { SetMetadata } from '@nestjs/common';

export type RateLimitPolicy = 'login' | 'register' | 'refresh';

export const RATE_LIMIT_KEY = 'rateLimitPolicy';

/** Limits the route per client IP with the named policy (limits come from configuration). */
export const RateLimit = (policy: RateLimitPolicy) => SetMetadata(RATE_LIMIT_KEY, policy);
