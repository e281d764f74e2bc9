import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { clientAddressKey } from '../common/http/client-address.js';
import type { RateLimitConfig } from '../config/app-config.js';
import { RATE_LIMIT_CONFIG } from '../config/config-slices.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { accountLocked } from '../common/security/password-errors.js';
import { RateLimitService } from './rate-limit.service.js';
import { type AttemptCounters, RateLimitStore } from './rate-limit.store.js';

const LOCK_BASE_MS = 60_000;

/** What password attempts are counted against. */
export type ThrottledAccount = { email: string } | { userId: string };

const digest = (...parts: string[]): string =>
  createHash('sha256').update(parts.join('\n')).digest('base64url').slice(0, 32);

/** Counter names are hashes of the address and client IP: no personal data in Redis keys. */
function countersOf(account: ThrottledAccount, clientIp: string | undefined): AttemptCounters {
  const address = clientAddressKey(clientIp);
  if ('userId' in account) {
    return {
      account: `password:${account.userId}`,
      pair: `password:${digest(account.userId, address)}`,
    };
  }
  return {
    account: `login:${digest(account.email)}`,
    pair: `login:${digest(account.email, address)}`,
  };
}

/**
 * Password attempts (sign-in, and a signed-in caller confirming theirs: password change, account
 * deletion) per (account, client IP), IPv6 by /64: counted before the password is checked
 * (parallel guesses cannot all slip in before the first failure is recorded), cleared when one
 * succeeds, and from RATE_LIMIT_LOGIN_FAILURES on locked for that address with a back-off that
 * doubles per attempt. Past RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT failures from all addresses, only
 * addresses without failures may try: no one can lock the owner out (ASVS 5.0 6.3).
 */
@Injectable()
export class PasswordAttempts {
  constructor(
    private readonly store: RateLimitStore,
    private readonly limits: RateLimitService,
    private readonly metrics: MetricsService,
    @Inject(RATE_LIMIT_CONFIG) private readonly config: RateLimitConfig,
  ) {}

  /** Counts an attempt, or refuses it with AUTH_ACCOUNT_LOCKED while it is locked. */
  async reserveAttempt(account: ThrottledAccount, clientIp: string | undefined): Promise<void> {
    if (!this.config.enabled) return;
    const waitMs = await this.store.reserveAttempt(countersOf(account, clientIp), {
      pairThreshold: this.config.loginFailuresPerAddress,
      accountThreshold: this.config.loginFailuresPerAccount,
      windowMs: this.config.loginFailureWindowS * 1000,
      baseLockMs: LOCK_BASE_MS,
    });
    if (waitMs > 0) {
      this.metrics.recordAuth('login_locked');
      throw accountLocked(Math.ceil(waitMs / 1000));
    }
  }

  /** The password was right: the failures counted so far from this address are forgiven. */
  attemptSucceeded(account: ThrottledAccount, clientIp: string | undefined): Promise<void> {
    return this.store.attemptSucceeded(countersOf(account, clientIp));
  }

  /** Each change costs two argon2 runs: RATE_LIMIT_PASSWORD_PER_MIN per user, as per IP. */
  limitPasswordChanges(userId: string): Promise<void> {
    return this.limits.consumeForUser('password', userId);
  }
}
