import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { RateLimitConfig } from '../config/app-config.js';
import { RATE_LIMIT_CONFIG } from '../config/config-slices.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RateLimitStore } from '../rate-limit/rate-limit.store.js';
import { AuthErrors } from './auth.errors.js';

const LOCK_BASE_MS = 60_000;

/** What password attempts are counted against. */
export type ThrottledAccount = { email: string } | { userId: string };

/** Failure counters are keyed by a hash of the address: no personal data in Redis keys. */
function counterName(account: ThrottledAccount): string {
  if ('userId' in account) return `password:${account.userId}`;
  return `login:${createHash('sha256').update(account.email).digest('base64url').slice(0, 32)}`;
}

/**
 * Per-account password attempts: counted before the password is checked (parallel guesses cannot
 * all slip in before the first failure is recorded), cleared when one succeeds, and from
 * RATE_LIMIT_LOGIN_FAILURES on locked with a back-off that doubles per attempt.
 */
@Injectable()
export class LoginThrottle {
  constructor(
    private readonly store: RateLimitStore,
    private readonly metrics: MetricsService,
    @Inject(RATE_LIMIT_CONFIG) private readonly config: RateLimitConfig,
  ) {}

  /** Counts an attempt, or refuses it with AUTH_ACCOUNT_LOCKED while the account is locked. */
  async reserveAttempt(account: ThrottledAccount): Promise<void> {
    if (!this.config.enabled) return;
    const lockedForMs = await this.store.reserveAttempt(
      counterName(account),
      this.config.loginFailuresPerAccount,
      this.config.loginFailureWindowS * 1000,
      LOCK_BASE_MS,
    );
    if (lockedForMs > 0) {
      this.metrics.recordAuth('login_locked');
      throw AuthErrors.accountLocked(Math.ceil(lockedForMs / 1000));
    }
  }

  /** The password was right: the failures counted so far are forgiven. */
  attemptSucceeded(account: ThrottledAccount): Promise<void> {
    return this.store.clearFailures(counterName(account));
  }
}
