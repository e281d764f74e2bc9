import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import type { RateLimitConfig } from '../config/app-config.js';
import { RATE_LIMIT_CONFIG } from '../config/config-slices.js';
import type { RateLimitPolicy } from './rate-limit.decorator.js';
import { RateLimitStore } from './rate-limit.store.js';

export const RATE_LIMIT_WINDOW_MS = 60_000;

/**
 * Mails one account can be sent a day, whoever asks: per-minute limits alone would let one client
 * send a victim 7,200 reset mails a day.
 */
export const ACCOUNT_MAILS_PER_DAY = 20;
const DAY_MS = 24 * 3600 * 1000;

export interface PolicyCount {
  limit: number;
  count: number;
  /** Whole seconds until the window resets (at least 1). */
  resetS: number;
  isExceeded: boolean;
}

export const rateLimited = (what: string, retryAfterS: number) =>
  new DomainError('RATE_LIMITED', 'rate_limited', `Too many ${what}; retry in ${retryAfterS} s.`, {
    retryAfterS,
  });

/**
 * Fixed one-minute windows per policy and subject (`ip:<address>`, `user:<id>`): the guard counts
 * per IP before authentication, services count per user once the caller is known.
 */
@Injectable()
export class RateLimitService {
  constructor(
    private readonly store: RateLimitStore,
    @Inject(RATE_LIMIT_CONFIG) private readonly config: RateLimitConfig,
  ) {}

  get isEnabled(): boolean {
    return this.config.enabled;
  }

  async count(policy: RateLimitPolicy, subject: string): Promise<PolicyCount> {
    const limit = this.limitFor(policy);
    const { count, resetMs } = await this.store.hit(`${policy}:${subject}`, RATE_LIMIT_WINDOW_MS);
    return {
      limit,
      count,
      resetS: Math.max(1, Math.ceil(resetMs / 1000)),
      isExceeded: count > limit,
    };
  }

  /** Counts one request of the user and refuses it with 429 RATE_LIMITED over the limit. */
  async consumeForUser(policy: RateLimitPolicy, userId: string): Promise<void> {
    if (!this.config.enabled) return;
    const { isExceeded, resetS } = await this.count(policy, `user:${userId}`);
    if (isExceeded) throw rateLimited(`${policy} requests for this account`, resetS);
  }

  /**
   * Counts one mail to the account: `kind` has its own per-minute window (a stranger asking for
   * reset mails does not use up the owner's own resends), and all kinds share a daily cap.
   */
  async consumeAccountMail(userId: string, kind: string): Promise<void> {
    if (!this.config.enabled) return;
    const perMinute = await this.count('account_mail', `user:${userId}:${kind}`);
    if (perMinute.isExceeded) throw rateLimited('mails to this account', perMinute.resetS);
    const perDay = await this.store.hit(`account_mail_day:user:${userId}`, DAY_MS);
    if (perDay.count > ACCOUNT_MAILS_PER_DAY) {
      throw rateLimited('mails to this account today', Math.ceil(perDay.resetMs / 1000));
    }
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
      case 'password':
        return limits.passwordPerMinute;
      case 'account_mail':
        return limits.accountMailPerMinute;
      case 'account_link':
        return limits.accountLinkPerMinute;
    }
  }
}
