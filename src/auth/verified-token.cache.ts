import { Injectable } from '@nestjs/common';
import type { AuthenticatedUser } from '../common/security/authenticated-user.js';

const MAX_ENTRIES = 10_000;

/**
 * Tokens this process has already verified, so a client's repeated requests skip the ES256
 * signature check. It only remembers the signature was good: revocation is still checked on
 * every request, and an entry never outlives its token's expiry. Bounded; oldest evicted first.
 */
@Injectable()
export class VerifiedTokenCache {
  private readonly entries = new Map<string, AuthenticatedUser>();

  get(token: string): AuthenticatedUser | undefined {
    const user = this.entries.get(token);
    if (!user) return undefined;
    if (user.expiresAt * 1000 <= Date.now()) {
      this.entries.delete(token);
      return undefined;
    }
    return user;
  }

  set(token: string, user: AuthenticatedUser): void {
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, user);
  }
}
