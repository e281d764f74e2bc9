import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { PasswordsModule } from '../common/security/passwords.module.js';
import { TransactionsModule } from '../database/transactions.module.js';
import { LifecycleModule } from '../lifecycle/lifecycle.module.js';
import { MailModule } from '../mail/mail.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccountController } from './account.controller.js';
import { AccountLinks } from './account-links.js';
import { AccountToken } from './account-token.entity.js';
import { AccountTokens } from './account-tokens.js';
import { AccountTokensRepository } from './account-tokens.repository.js';
import { EmailChangeController } from './email-change.controller.js';
import { EmailChangeService } from './email-change.service.js';
import { EmailVerificationService } from './email-verification.service.js';
import { PasswordResetService } from './password-reset.service.js';

/**
 * The account lifecycle over mail: email verification, password reset and email change, each
 * through a single-use link. Depends on users (never on auth): sessions end through
 * `UserAccessEvents`.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([AccountToken]),
    UsersModule,
    MailModule,
    AuditModule,
    TransactionsModule,
    RateLimitModule,
    PasswordsModule,
    LifecycleModule,
  ],
  controllers: [AccountController, EmailChangeController],
  providers: [
    AccountTokensRepository,
    AccountTokens,
    AccountLinks,
    EmailVerificationService,
    PasswordResetService,
    EmailChangeService,
  ],
  exports: [EmailVerificationService, AccountTokens, AccountTokensRepository],
})
export class AccountModule {}
