import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { Row } from '../database/row-mapper.js';
import { inCurrentTransaction } from '../database/transactions.js';
import { AccountToken, type AccountTokenPurpose } from './account-token.entity.js';

export interface NewAccountToken {
  userId: string;
  purpose: AccountTokenPurpose;
  tokenHash: string;
  email: string;
  expiresAt: Date;
}

/** A token spent by `consume`: whose it was and the address it was mailed to. */
export interface ConsumedAccountToken {
  userId: string;
  email: string;
}

/** Why a token could not be spent. */
export type UnusableTokenReason = 'unknown' | 'used' | 'expired';

@Injectable()
export class AccountTokensRepository {
  constructor(@InjectRepository(AccountToken) private readonly tokens: Repository<AccountToken>) {}

  /** Stores the token and deletes the user's older unused ones of the same purpose. */
  async replace(token: NewAccountToken): Promise<void> {
    // One round trip (registration runs it in its transaction on every sign-up).
    await inCurrentTransaction(this.tokens).query(
      `WITH voided AS (
         DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL)
       INSERT INTO account_tokens (user_id, purpose, token_hash, email, expires_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [token.userId, token.purpose, token.tokenHash, token.email, token.expiresAt],
    );
  }

  /**
   * Marks the token used, in one statement, if it has this purpose and is unused and unexpired;
   * two requests with the same token cannot both spend it.
   */
  async consume(
    tokenHash: string,
    purpose: AccountTokenPurpose,
  ): Promise<ConsumedAccountToken | UnusableTokenReason> {
    const tokens = inCurrentTransaction(this.tokens);
    const [rows]: [Row[], number] = await tokens.query(
      `UPDATE account_tokens SET used_at = now()
       WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
       RETURNING user_id, email`,
      [tokenHash, purpose],
    );
    const spent = rows[0];
    if (spent) return { userId: spent.user_id as string, email: spent.email as string };
    const unusable = await this.check(tokenHash, purpose);
    return unusable === 'usable' ? 'unknown' : unusable;
  }

  /** Whether `consume` would succeed now, without spending the token. */
  async check(
    tokenHash: string,
    purpose: AccountTokenPurpose,
  ): Promise<UnusableTokenReason | 'usable'> {
    const found: Row[] = await inCurrentTransaction(this.tokens).query(
      `SELECT used_at IS NOT NULL AS is_used, expires_at <= now() AS is_expired
       FROM account_tokens WHERE token_hash = $1 AND purpose = $2`,
      [tokenHash, purpose],
    );
    const token = found[0];
    if (!token) return 'unknown';
    if (token.is_used) return 'used';
    return token.is_expired ? 'expired' : 'usable';
  }

  /** Deletes every unused token of the user (links mailed to an address it has left). */
  async deleteUnusedForUser(userId: string): Promise<void> {
    await inCurrentTransaction(this.tokens).query(
      'DELETE FROM account_tokens WHERE user_id = $1 AND used_at IS NULL',
      [userId],
    );
  }

  /** Deletes tokens that expired more than `ageS` ago (used or not); returns how many. */
  async deleteExpired(ageS: number, limit: number): Promise<number> {
    const [, deleted]: [unknown, number] = await this.tokens.query(
      `DELETE FROM account_tokens WHERE id IN (
         SELECT id FROM account_tokens WHERE expires_at < now() - make_interval(secs => $1)
         LIMIT $2)`,
      [ageS, limit],
    );
    return deleted;
  }
}
