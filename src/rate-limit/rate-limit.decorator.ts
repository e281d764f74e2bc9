import { SetMetadata } from '@nestjs/common';

export type RateLimitPolicy =
  'login' | 'register' | 'refresh' | 'password' | 'account_mail' | 'account_link';

export const RATE_LIMIT_KEY = 'rateLimitPolicy';

/**
 * Limits the route per client IP (IPv6 by /64) with the named policy (limits come from
 * configuration).
 */
export const RateLimit = (policy: RateLimitPolicy) => SetMetadata(RATE_LIMIT_KEY, policy);
