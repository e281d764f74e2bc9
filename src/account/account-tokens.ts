import { Injectable } from '@nestjs/common';
import { generateOpaqueToken, hashOpaqueToken } from '../common/security/opaque-token.js';
import type { AccountTokenPurpose } from './account-token.entity.js';
import { AccountErrors } from './account.errors.js';
import { AccountTokensRepository, type ConsumedAccountToken } from './account-tokens.repository.js';

/** Issuing and spending the single-use tokens of mailed links. */
@Injectable()
export class AccountTokens {
  constructor(private readonly tokens: AccountTokensRepository) {}

  /**
   * A new token for `email`, replacing the user's unused ones of this purpose (only the newest
   * link works). In the caller's transaction; returns the token, which only the mail carries.
   */
  async issue(
    userId: string,
    purpose: AccountTokenPurpose,
    email: string,
    ttlS: number,
  ): Promise<string> {
    const token = generateOpaqueToken();
    await this.tokens.replace({
      userId,
      purpose,
      email,
      tokenHash: hashOpaqueToken(token),
      expiresAt: new Date(Date.now() + ttlS * 1000),
    });
    return token;
  }

  /** Spends the token (in the caller's transaction) or throws why it cannot be spent. */
  async spend(token: string, purpose: AccountTokenPurpose): Promise<ConsumedAccountToken> {
    const spent = await this.tokens.consume(hashOpaqueToken(token), purpose);
    if (typeof spent === 'string') throw AccountErrors.unusableToken(spent);
    return spent;
  }

  /** Throws if `spend` would fail now; spends nothing (to refuse before expensive work). */
  async assertSpendable(token: string, purpose: AccountTokenPurpose): Promise<void> {
    const state = await this.tokens.check(hashOpaqueToken(token), purpose);
    if (state !== 'usable') throw AccountErrors.unusableToken(state);
  }

  voidAll(userId: string): Promise<void> {
    return this.tokens.deleteUnusedForUser(userId);
  }
}
