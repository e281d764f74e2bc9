import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { DomainError } from '../common/errors/domain-error.js';
import { PasswordHasher } from '../common/security/password-hasher.js';
import type { AccountConfig } from '../config/app-config.js';
import { ACCOUNT_CONFIG } from '../config/config-slices.js';
import { Transactions } from '../database/transactions.js';
import { BackgroundTasks } from '../lifecycle/background-tasks.js';
import { OutboxService } from '../mail/outbox.service.js';
import { RateLimitService } from '../rate-limit/rate-limit.service.js';
import { UserAccessEvents } from '../users/user-access.events.js';
import { UsersService } from '../users/users.service.js';
import { AccountErrors } from './account.errors.js';
import { AccountLinks } from './account-links.js';
import { AccountTokens } from './account-tokens.js';

/** Recovering a forgotten password through a single-use link mailed to the account's address. */
@Injectable()
export class PasswordResetService {
  private readonly logger = new Logger('PasswordReset');

  constructor(
    private readonly users: UsersService,
    private readonly tokens: AccountTokens,
    private readonly links: AccountLinks,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly transactions: Transactions,
    private readonly limits: RateLimitService,
    private readonly passwords: PasswordHasher,
    private readonly accessEvents: UserAccessEvents,
    private readonly background: BackgroundTasks,
    @Inject(ACCOUNT_CONFIG) private readonly config: AccountConfig,
  ) {}

  /**
   * Returns at once, whatever the address: the lookup and the mail happen after the answer, so
   * neither its content nor its timing tells whether an account exists. Only an active account
   * gets a mail, at most RATE_LIMIT_ACCOUNT_MAIL_PER_MIN a minute; a new link voids the older.
   */
  requestReset(email: string): void {
    this.background.run('password-reset-request', () => this.mailResetLink(email));
  }

  /**
   * Sets the new password if the token can be spent, then ends every session of the account. The
   * token is checked before hashing, so garbage tokens cost no argon2 work.
   */
  async reset(token: string, newPassword: string): Promise<void> {
    await this.tokens.assertSpendable(token, 'reset_password');
    const passwordHash = await this.passwords.hash(newPassword);
    const userId = await this.transactions.run(async () => {
      const spent = await this.tokens.spend(token, 'reset_password');
      const user = await this.users.resetPassword(spent.userId, passwordHash, spent.email);
      if (!user) throw AccountErrors.unusableToken('unknown');
      // The other links mailed before (a second reset, an email change) die with the old password.
      await this.tokens.voidAll(user.id);
      await this.audit.record({ userId: user.id, type: 'password_reset_completed' });
      return user.id;
    });
    await this.accessEvents.accessEnded(userId, 'password_reset');
  }

  private async mailResetLink(email: string): Promise<void> {
    const user = await this.users.findByEmail(email);
    if (!user || user.status !== 'active') return;
    try {
      await this.limits.consumeAccountMail(user.id, 'password_reset');
    } catch (error) {
      if (error instanceof DomainError && error.code === 'RATE_LIMITED') {
        this.logger.warn({ userId: user.id }, 'password reset mail skipped: rate limited');
        return;
      }
      throw error;
    }
    const ttlS = this.config.resetTokenTtlS;
    await this.transactions.run(async () => {
      const token = await this.tokens.issue(user.id, 'reset_password', user.email, ttlS);
      await this.outbox.enqueue({
        to: user.email,
        template: 'password-reset',
        data: {
          link: this.links.to('resetPassword', token),
          expiresInMinutes: Math.round(ttlS / 60),
        },
      });
      await this.audit.record({ userId: user.id, type: 'password_reset_requested' });
    });
  }
}
