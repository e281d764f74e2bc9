import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AccountModule } from '../account/account.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { MailModule } from '../mail/mail.module.js';
import { PasswordsModule } from '../common/security/passwords.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminBootstrap } from './admin-bootstrap.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { JwksController } from './jwks.controller.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { JwtStrategy } from './jwt.strategy.js';
import { RefreshCookieGuard } from './refresh-cookie.guard.js';
import { RefreshCookieInterceptor } from './refresh-cookie.interceptor.js';
import { RolesGuard } from './roles.guard.js';
import { SessionRevocationService } from './session-revocation.service.js';
import { SessionsPurgeService } from './sessions-purge.service.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';
import { AccessTokens } from './tokens/access-tokens.js';
import { SigningKeys } from './tokens/signing-keys.js';
import { VerifiedTokenCache } from './verified-token.cache.js';

@Module({
  imports: [
    UsersModule,
    AccountModule,
    AuditModule,
    MailModule,
    PassportModule,
    RedisModule,
    RateLimitModule,
    MetricsModule,
    PasswordsModule,
    AuditModule,
  ],
  controllers: [AuthController, JwksController],
  providers: [
    AuthService,
    SessionsService,
    AdminBootstrap,
    SessionsRepository,
    SessionRevocationService,
    SessionsPurgeService,
    AccessTokens,
    SigningKeys,
    JwtStrategy,
    VerifiedTokenCache,
    RefreshCookieInterceptor,
    // Global guards run in this order: per-IP limits first (cheap, before any token or password
    // work), then the refresh cookie's Origin check (the bearer guard may accept the cookie),
    // then authentication (deny by default), then roles.
    { provide: APP_GUARD, useExisting: RateLimitGuard },
    { provide: APP_GUARD, useClass: RefreshCookieGuard },
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
  exports: [AdminBootstrap],
})
export class AuthModule {}
