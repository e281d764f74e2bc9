import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { AccountConfig } from '../config/app-config.js';
import { ACCOUNT_CONFIG } from '../config/config-slices.js';
import { Transactions } from '../database/transactions.js';
import { OutboxService } from '../mail/outbox.service.js';
import { RateLimitService } from '../rate-limit/rate-limit.service.js';
import { UserAccessEvents } from '../users/user-access.events.js';
import type { User } from '../users/user.entity.js';
import { UsersErrors } from '../users/users.errors.js';
import { UsersService } from '../users/users.service.js';
import { AccountErrors } from './account.errors.js';
import { AccountLinks } from './account-links.js';
import { AccountTokens } from './account-tokens.js';

/** The signed-in caller: the account and the session making the request. */
export interface AccountCaller {
  userId: string;
  sessionId: string;
}

/**
 * Moving an account to a new address: the password confirms the request, a link mailed to the
 * new address confirms the owner reads it, and only then does anything change.
 */
@Injectable()
export class EmailChangeService {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: AccountTokens,
    private readonly links: AccountLinks,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly transactions: Transactions,
    private readonly limits: RateLimitService,
    private readonly accessEvents: UserAccessEvents,
    @Inject(ACCOUNT_CONFIG) private readonly config: AccountConfig,
  ) {}

  /** Checks the password and mails a confirmation link to `newEmail`; changes nothing yet. */
  async request(
    caller: AccountCaller,
    newEmail: string,
    password: string,
    clientIp: string | undefined,
  ): Promise<void> {
    const user = await this.users.confirmPassword(caller.userId, password, clientIp, 'password');
    if (newEmail === user.email) throw AccountErrors.sameEmail();
    // Checked again when the change applies; this spares a mail that could never be confirmed.
    if (await this.users.findByEmail(newEmail)) throw UsersErrors.emailTaken('newEmail');
    // Counted only for a mail that goes out: refused requests (a stolen access token without the
    // password) must not use up the daily cap that the owner's reset mails share.
    await this.limits.consumeAccountMail(caller.userId, 'email_change');
    const ttlS = this.config.verifyTokenTtlS;
    await this.transactions.run(async () => {
      const token = await this.tokens.issue(user.id, 'change_email', newEmail, ttlS);
      await this.outbox.enqueue({
        to: newEmail,
        template: 'email-change-confirm',
        data: {
          link: this.links.to('confirmEmailChange', token),
          newEmail,
          expiresInHours: Math.round(ttlS / 3600),
        },
      });
      await this.audit.record({
        userId: user.id,
        type: 'email_change_requested',
        details: { newEmail },
      });
    });
  }

  /**
   * Applies the change the caller's link confirms: USERS_EMAIL_TAKEN (409) if the address was
   * taken meanwhile. The old address is told, links mailed to it die, and every other session
   * ends (the caller's stays).
   */
  async confirm(caller: AccountCaller, token: string): Promise<User> {
    const { previous, updated } = await this.transactions.run(async () => {
      const spent = await this.tokens.spend(token, 'change_email');
      // Someone else's link: refused like an unknown one (the spend rolls back).
      if (spent.userId !== caller.userId) throw AccountErrors.unusableToken('unknown');
      // Tokens before the user row, the order reset and verify lock in: no deadlock between them.
      await this.tokens.voidAll(caller.userId);
      const previous = await this.users.getById(caller.userId);
      const updated = await this.users.changeEmail(caller.userId, spent.email);
      await this.outbox.enqueue({
        to: previous.email,
        template: 'email-changed-notice',
        data: { newEmail: updated.email },
      });
      await this.audit.record({
        userId: caller.userId,
        type: 'email_change_confirmed',
        details: { from: previous.email, to: updated.email },
      });
      return { previous, updated };
    });
    await this.accessEvents.accessEnded(caller.userId, 'email_changed', {
      sessionId: caller.sessionId,
      credentialsVersion: { from: previous.credentialsVersion, to: updated.credentialsVersion },
    });
    return updated;
  }
}
