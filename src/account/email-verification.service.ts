import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { DomainError } from '../common/errors/domain-error.js';
import type { AccountConfig } from '../config/app-config.js';
import { ACCOUNT_CONFIG } from '../config/config-slices.js';
import { Transactions } from '../database/transactions.js';
import { OutboxService } from '../mail/outbox.service.js';
import { RateLimitService } from '../rate-limit/rate-limit.service.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { AccountErrors } from './account.errors.js';
import { AccountLinks } from './account-links.js';
import { AccountTokens } from './account-tokens.js';

/** Proving the account's address: a mailed single-use link. */
@Injectable()
export class EmailVerificationService {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: AccountTokens,
    private readonly links: AccountLinks,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly transactions: Transactions,
    private readonly limits: RateLimitService,
    @Inject(ACCOUNT_CONFIG) private readonly config: AccountConfig,
  ) {}

  /**
   * Queues a verification mail to the account's address (only the newest link works). Joins the
   * caller's transaction: registration commits the account and its mail together.
   */
  sendVerification(user: Pick<User, 'id' | 'email'>): Promise<void> {
    return this.transactions.run(async () => {
      const ttlS = this.config.verifyTokenTtlS;
      const token = await this.tokens.issue(user.id, 'verify_email', user.email, ttlS);
      await this.outbox.enqueue({
        to: user.email,
        template: 'verify-email',
        data: {
          link: this.links.to('verifyEmail', token),
          expiresInHours: Math.round(ttlS / 3600),
        },
      });
      await this.audit.record({ userId: user.id, type: 'email_verification_sent' });
    });
  }

  /** A new link for the signed-in caller; ACCOUNT_EMAIL_ALREADY_VERIFIED if there is no need. */
  async resend(userId: string): Promise<void> {
    await this.limits.consumeAccountMail(userId, 'verify_email');
    const user = await this.users.getById(userId);
    if (user.emailVerified) throw AccountErrors.alreadyVerified();
    await this.sendVerification(user);
  }

  /**
   * After a sign-in refused for an unverified address (REQUIRE_VERIFIED_EMAIL): the password proved
   * who is asking and the account cannot sign in to ask for a link, so a new one goes out, within
   * the account's mail limits (over them, the refusal alone).
   */
  async remindAfterRefusedLogin(user: Pick<User, 'id' | 'email'>): Promise<void> {
    try {
      await this.limits.consumeAccountMail(user.id, 'verify_email');
    } catch (error) {
      if (error instanceof DomainError && error.code === 'RATE_LIMITED') return;
      throw error;
    }
    await this.sendVerification(user);
  }

  /** Spends the link's token and marks the address verified, if it is still the account's. */
  async verify(token: string): Promise<void> {
    await this.transactions.run(async () => {
      const spent = await this.tokens.spend(token, 'verify_email');
      // The account moved to another address since: this link proves nothing about it.
      if (!(await this.users.markEmailVerified(spent.userId, spent.email))) {
        throw AccountErrors.unusableToken('unknown');
      }
      await this.audit.record({ userId: spent.userId, type: 'email_verified' });
    });
  }
}
