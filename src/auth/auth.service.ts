import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RateLimitStore } from '../rate-limit/rate-limit.store.js';
import { type AccessEndReason, UserAccessEvents } from '../users/user-access.events.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { AuthErrors } from './auth.errors.js';
import { PasswordHasher } from './passwords/password-hasher.js';
import { SessionRevocationService } from './session-revocation.service.js';
import type { SessionRevocationReason } from './session.entity.js';
import {
  SessionsRepository,
  type LockedSession,
  type SessionRecord,
} from './sessions.repository.js';
import { AccessTokens } from './tokens/access-tokens.js';
import {
  generateRefreshToken,
  hashRefreshToken,
  openWithToken,
  sealWithToken,
} from './tokens/refresh-token.js';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshExpiresIn: number;
}

export interface ClientInfo {
  ip: string | undefined;
  userAgent: string | undefined;
}

export interface Caller {
  userId: string;
  sessionId: string;
}

export interface SessionView extends SessionRecord {
  current: boolean;
}

type RefreshOutcome =
  | { kind: 'rotated'; pair: TokenPair }
  | { kind: 'replayed'; pair: TokenPair }
  | { kind: 'reused'; sessionId: string }
  | { kind: 'invalid' };

const USER_AGENT_MAX_LENGTH = 512;
const LOGIN_LOCK_BASE_MS = 60_000;

/** Failure counters are keyed by a hash of the address: no personal data in Redis keys. */
const accountKey = (email: string): string =>
  createHash('sha256').update(email).digest('base64url').slice(0, 32);

@Injectable()
export class AuthService implements OnModuleInit {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly users: UsersService,
    private readonly accessEvents: UserAccessEvents,
    private readonly sessions: SessionsRepository,
    private readonly revocation: SessionRevocationService,
    private readonly passwords: PasswordHasher,
    private readonly accessTokens: AccessTokens,
    private readonly rateLimits: RateLimitStore,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.accessEvents.onAccessEnded((userId, reason) => this.endAllSessions(userId, reason));
  }

  async register(email: string, password: string, displayName: string | null): Promise<User> {
    const user = await this.users.create({
      email,
      passwordHash: await this.passwords.hash(password),
      displayName,
    });
    this.metrics.recordAuth('register');
    return user;
  }

  /**
   * Unknown email and wrong password cost the same hashing work and get the same answer; repeated
   * failures lock the account with a doubling back-off, whether or not it exists.
   */
  async login(email: string, password: string, client: ClientInfo): Promise<TokenPair> {
    const failureKey = `login:${accountKey(email)}`;
    await this.reserveAttempt(failureKey);
    const user = await this.users.findByEmail(email);
    const isValid = user
      ? await this.passwords.verify(user.passwordHash, password)
      : await this.passwords.verifyNothing(password);
    if (!user || !isValid) {
      this.metrics.recordAuth('login_failure');
      throw AuthErrors.invalidCredentials();
    }
    await this.rateLimits.clearFailures(failureKey);
    if (user.status !== 'active') throw AuthErrors.accountDisabled();
    if (this.passwords.needsRehash(user.passwordHash)) {
      await this.users.changePasswordHash(user.id, await this.passwords.hash(password));
    }
    const pair = await this.startSession(user, client);
    this.metrics.recordAuth('login_success');
    return pair;
  }

  /**
   * Rotates the refresh token in one transaction. A token that was already rotated away revokes
   * its session (reuse: it was stolen, or it leaked), except within REFRESH_REUSE_GRACE_S, where
   * the pair it produced the first time is returned again (two tabs refreshing at once).
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const tokenHash = hashRefreshToken(refreshToken);
    const outcome = await this.sessions.inRefreshTransaction(
      async (tx): Promise<RefreshOutcome> => {
        const session = await tx.lockByRefreshTokenHash(tokenHash);
        if (session) {
          if (!this.isUsable(session)) return { kind: 'invalid' };
          const next = generateRefreshToken();
          const pair = this.tokenPair(session.userId, session.id, session.userRoles, next);
          await tx.rotate({
            sessionId: session.id,
            usedTokenHash: tokenHash,
            newTokenHash: hashRefreshToken(next),
            graceResult: sealWithToken(refreshToken, JSON.stringify(pair)),
            expiresAt: this.refreshExpiry(),
          });
          return { kind: 'rotated', pair };
        }
        const used = await tx.lockByUsedTokenHash(tokenHash);
        if (!used || !this.isUsable(used.session)) return { kind: 'invalid' };
        const ageMs = Date.now() - used.rotatedAt.getTime();
        if (used.graceResult && ageMs <= this.config.auth.refreshReuseGraceS * 1000) {
          return {
            kind: 'replayed',
            pair: JSON.parse(openWithToken(refreshToken, used.graceResult)) as TokenPair,
          };
        }
        await tx.revoke(used.session.id, 'refresh_token_reuse');
        return { kind: 'reused', sessionId: used.session.id };
      },
    );

    switch (outcome.kind) {
      case 'rotated':
        this.metrics.recordAuth('refresh');
        return outcome.pair;
      case 'replayed':
        this.metrics.recordAuth('refresh_grace_replay');
        return outcome.pair;
      case 'reused':
        await this.revocation.markRevoked([outcome.sessionId]);
        this.metrics.recordAuth('refresh_reuse_detected');
        this.logger.warn({ sessionId: outcome.sessionId }, 'refresh token reuse: session revoked');
        throw AuthErrors.refreshReused();
      case 'invalid':
        throw AuthErrors.refreshInvalid();
    }
  }

  async logout(caller: Caller): Promise<void> {
    if (await this.sessions.revokeOwned(caller.sessionId, caller.userId, 'logout')) {
      await this.revocation.markRevoked([caller.sessionId]);
    }
    this.metrics.recordAuth('logout');
  }

  async logoutAll(caller: Caller): Promise<void> {
    await this.endAllSessions(caller.userId, 'logout_all');
    this.metrics.recordAuth('logout_all');
  }

  async listSessions(caller: Caller): Promise<SessionView[]> {
    const sessions = await this.sessions.findActiveForUser(caller.userId);
    return sessions.map((session) => ({ ...session, current: session.id === caller.sessionId }));
  }

  /** Someone else's session and an unknown one look the same: not found. */
  async revokeSession(caller: Caller, sessionId: string): Promise<void> {
    if (!(await this.sessions.revokeOwned(sessionId, caller.userId, 'revoked_by_user'))) {
      throw AuthErrors.sessionNotFound();
    }
    await this.revocation.markRevoked([sessionId]);
  }

  /** Changes the password and signs out every other session. */
  async changePassword(
    caller: Caller,
    currentPassword: string,
    newPassword: string,
  ): Promise<void> {
    const user = await this.users.getById(caller.userId);
    const failureKey = `password:${caller.userId}`;
    await this.reserveAttempt(failureKey);
    if (!(await this.passwords.verify(user.passwordHash, currentPassword))) {
      this.metrics.recordAuth('password_change_failure');
      throw AuthErrors.passwordIncorrect();
    }
    await this.rateLimits.clearFailures(failureKey);
    await this.users.changePasswordHash(user.id, await this.passwords.hash(newPassword));
    const revoked = await this.sessions.revokeAllForUser(
      user.id,
      'password_changed',
      caller.sessionId,
    );
    await this.revocation.markRevoked(revoked);
    this.metrics.recordAuth('password_changed');
  }

  private async endAllSessions(
    userId: string,
    reason: SessionRevocationReason | AccessEndReason,
  ): Promise<void> {
    // A deleted user's sessions are already gone (cascade); their tombstones name them.
    if (reason === 'user_deleted') {
      await this.revocation.markDeletedUser(userId);
      return;
    }
    const revoked = await this.sessions.revokeAllForUser(userId, reason);
    await this.revocation.markRevoked(revoked);
  }

  private async startSession(user: User, client: ClientInfo): Promise<TokenPair> {
    const refreshToken = generateRefreshToken();
    const session = await this.sessions.insert({
      userId: user.id,
      refreshTokenHash: hashRefreshToken(refreshToken),
      expiresAt: this.refreshExpiry(),
      userAgent: client.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
      ip: client.ip ?? null,
    });
    return this.tokenPair(user.id, session.id, user.roles, refreshToken);
  }

  private tokenPair(
    userId: string,
    sessionId: string,
    roles: string[],
    refreshToken: string,
  ): TokenPair {
    return {
      accessToken: this.accessTokens.issue({ userId, sessionId, roles }),
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.config.auth.accessTokenTtlS,
      refreshExpiresIn: this.config.auth.refreshTokenTtlS,
    };
  }

  private isUsable(session: LockedSession): boolean {
    return (
      session.revokedAt === null &&
      session.expiresAt.getTime() > Date.now() &&
      session.userStatus === 'active'
    );
  }

  private refreshExpiry(): Date {
    return new Date(Date.now() + this.config.auth.refreshTokenTtlS * 1000);
  }

  /** Counts a password attempt on this account, or refuses it while the account is locked. */
  private async reserveAttempt(failureKey: string): Promise<void> {
    const limits = this.config.rateLimit;
    if (!limits.enabled) return;
    const lockedForMs = await this.rateLimits.reserveAttempt(
      failureKey,
      limits.loginFailuresPerAccount,
      limits.loginFailureWindowS * 1000,
      LOGIN_LOCK_BASE_MS,
    );
    if (lockedForMs > 0) {
      this.metrics.recordAuth('login_locked');
      throw AuthErrors.accountLocked(Math.ceil(lockedForMs / 1000));
    }
  }
}
