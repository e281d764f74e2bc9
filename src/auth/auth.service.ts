import { Inject, Injectable, Logger } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import { storableClientIp } from '../common/http/client-address.js';
import { AccountTokens } from '../account/account-tokens.js';
import { EmailVerificationService } from '../account/email-verification.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { AccountConfig, AuthConfig } from '../config/app-config.js';
import { ACCOUNT_CONFIG, AUTH_CONFIG } from '../config/config-slices.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PasswordAttempts } from '../rate-limit/password-attempts.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { AuthErrors } from './auth.errors.js';
import type { Caller } from './caller.js';
import { PasswordHasher } from '../common/security/password-hasher.js';
import { SessionRevocationService } from './session-revocation.service.js';
import { SessionsRepository, type LockedSession } from './sessions.repository.js';
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

type RefreshOutcome =
  | { kind: 'rotated'; pair: TokenPair; sessionId: string; userId: string }
  | { kind: 'replayed'; pair: TokenPair }
  | { kind: 'reused'; sessionId: string; userId: string }
  | { kind: 'invalid' };

const USER_AGENT_MAX_LENGTH = 512;

/** Credentials: registration, sign-in, refresh-token rotation and password change. */
@Injectable()
export class AuthService {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsRepository,
    private readonly revocation: SessionRevocationService,
    private readonly passwords: PasswordHasher,
    private readonly accessTokens: AccessTokens,
    private readonly throttle: PasswordAttempts,
    private readonly metrics: MetricsService,
    private readonly verification: EmailVerificationService,
    private readonly accountTokens: AccountTokens,
    private readonly audit: AuditService,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(ACCOUNT_CONFIG)
    private readonly account: Pick<AccountConfig, 'requireVerifiedEmail' | 'cookies'>,
  ) {}

  /** Creates the account with its verification mail and audit row, in one transaction. */
  async register(email: string, password: string, displayName: string | null): Promise<User> {
    const user = await this.users.create(
      { email, passwordHash: await this.passwords.hash(password), displayName },
      async (created) => {
        await this.audit.record({ userId: created.id, type: 'registered' });
        await this.verification.sendVerification(created);
      },
    );
    this.metrics.recordAuth('register');
    return user;
  }

  /**
   * Unknown email and wrong password cost the same hashing work and get the same answer; repeated
   * failures lock the account for that client address with a doubling back-off, whether or not it
   * exists. The session is stored only if the credentials the password was checked against are
   * still current (AUTH_CREDENTIALS_CHANGED otherwise).
   */
  async login(email: string, password: string, client: ClientInfo): Promise<TokenPair> {
    await this.throttle.reserveAttempt({ email }, client.ip).catch(async (error: unknown) => {
      await this.recordLockedOut(email, error);
      throw error;
    });
    const user = await this.users.findByEmail(email);
    const isValid = user
      ? await this.passwords.verify(user.passwordHash, password)
      : await this.passwords.verifyNothing(password);
    if (!user || !isValid) {
      this.metrics.recordAuth('login_failure');
      if (user) await this.recordLoginFailed(user.id, 'wrong_password');
      throw AuthErrors.invalidCredentials();
    }
    await this.throttle.attemptSucceeded({ email }, client.ip);
    if (user.status !== 'active') {
      await this.recordLoginFailed(user.id, 'account_disabled');
      throw AuthErrors.accountDisabled();
    }
    if (this.account.requireVerifiedEmail && !user.emailVerified) {
      await this.recordLoginFailed(user.id, 'email_not_verified');
      await this.verification.remindAfterRefusedLogin(user);
      throw AuthErrors.emailNotVerified();
    }
    if (this.passwords.needsRehash(user.passwordHash)) {
      const rehashed = await this.passwords.hash(password);
      await this.users.rehashPassword(user.id, rehashed, user.credentialsVersion);
    }
    const { pair, sessionId } = await this.startSession(user, client);
    this.metrics.recordAuth('login_success');
    await this.audit.record({ userId: user.id, type: 'login_succeeded', details: { sessionId } });
    return pair;
  }

  /**
   * Rotates the refresh token in one transaction. A token that was already rotated away revokes
   * its session (reuse: it was stolen, or it leaked), except within REFRESH_REUSE_GRACE_S, where
   * the pair it produced the first time is returned again (two tabs refreshing at once). A session
   * past SESSION_MAX_AGE, or behind its user's credentials version, is not refreshed. The token
   * comes from the body or, in cookie mode, the refresh cookie.
   */
  async refresh(refreshToken: string | undefined): Promise<TokenPair> {
    if (refreshToken === undefined) {
      throw this.account.cookies
        ? AuthErrors.refreshMissing()
        : AuthErrors.refreshTokenFieldMissing();
    }
    const tokenHash = hashRefreshToken(refreshToken);
    const outcome = await this.sessions.inRefreshTransaction(
      async (tx): Promise<RefreshOutcome> => {
        const session = await tx.lockByRefreshTokenHash(tokenHash);
        if (session) {
          const now = Date.now();
          if (!this.isUsable(session, now)) return { kind: 'invalid' };
          const next = generateRefreshToken();
          const expiresAt = this.refreshExpiry(session.createdAt, now);
          const pair = this.tokenPair(session, next, expiresAt, now);
          await tx.rotate({
            sessionId: session.id,
            usedTokenHash: tokenHash,
            newTokenHash: hashRefreshToken(next),
            graceResult: sealWithToken(refreshToken, JSON.stringify(pair)),
            expiresAt,
          });
          return { kind: 'rotated', pair, sessionId: session.id, userId: session.userId };
        }
        const used = await tx.lockByUsedTokenHash(tokenHash);
        if (!used || !this.isUsable(used.session, Date.now())) return { kind: 'invalid' };
        const ageMs = Date.now() - used.rotatedAt.getTime();
        if (used.graceResult && ageMs <= this.config.refreshReuseGraceS * 1000) {
          return {
            kind: 'replayed',
            pair: JSON.parse(openWithToken(refreshToken, used.graceResult)) as TokenPair,
          };
        }
        // Revoked in the transaction that detected the reuse: the decision and the revocation
        // commit together, so no concurrent rotation can slip in between.
        await tx.revoke(used.session.id, 'refresh_token_reuse');
        return { kind: 'reused', sessionId: used.session.id, userId: used.session.userId };
      },
    );

    switch (outcome.kind) {
      case 'rotated':
        this.metrics.recordAuth('refresh');
        await this.audit.record({
          userId: outcome.userId,
          type: 'refresh',
          details: { sessionId: outcome.sessionId },
        });
        return outcome.pair;
      case 'replayed':
        this.metrics.recordAuth('refresh_grace_replay');
        return outcome.pair;
      case 'reused':
        // Already revoked in PostgreSQL; this makes every replica refuse its access tokens too.
        await this.revocation.revoke({
          sessionId: outcome.sessionId,
          reason: 'refresh_token_reuse',
        });
        this.metrics.recordAuth('refresh_reuse_detected');
        await this.audit.record({
          userId: outcome.userId,
          type: 'refresh_reuse_detected',
          details: { sessionId: outcome.sessionId },
        });
        this.logger.warn({ sessionId: outcome.sessionId }, 'refresh token reuse: session revoked');
        throw AuthErrors.refreshReused();
      case 'invalid':
        throw AuthErrors.refreshInvalid();
    }
  }

  /**
   * Changes the password and signs out every other session. Refused (AUTH_CREDENTIALS_CHANGED)
   * when another credentials change landed since the current password was checked.
   */
  async changePassword(
    caller: Caller,
    currentPassword: string,
    newPassword: string,
    clientIp: string | undefined,
  ): Promise<void> {
    await this.throttle.limitPasswordChanges(caller.userId);
    const user = await this.users.getById(caller.userId);
    const account = { userId: caller.userId };
    await this.throttle.reserveAttempt(account, clientIp);
    if (!(await this.passwords.verify(user.passwordHash, currentPassword))) {
      this.metrics.recordAuth('password_change_failure');
      throw AuthErrors.passwordIncorrect();
    }
    await this.throttle.attemptSucceeded(account, clientIp);
    const newHash = await this.passwords.hash(newPassword);
    const credentialsVersion = await this.users.changePassword(
      user.id,
      newHash,
      user.credentialsVersion,
    );
    if (credentialsVersion === null) throw AuthErrors.credentialsChanged();
    // Between the change and this, the caller's own refresh fails: it errs on the safe side.
    await this.sessions.adoptCredentialsVersion(caller.sessionId, user.id, {
      from: user.credentialsVersion,
      to: credentialsVersion,
    });
    await this.revocation.revoke({
      userId: user.id,
      exceptSessionId: caller.sessionId,
      reason: 'password_changed',
    });
    // A reset or email-change link mailed before would undo or bypass the new password.
    await this.accountTokens.voidAll(user.id);
    this.metrics.recordAuth('password_changed');
    await this.audit.record({ userId: user.id, type: 'password_changed' });
  }

  /** A sign-in refused by the lock is recorded for an account that exists, like a wrong password. */
  private async recordLockedOut(email: string, error: unknown): Promise<void> {
    if (!(error instanceof DomainError) || error.code !== 'AUTH_ACCOUNT_LOCKED') return;
    const user = await this.users.findByEmail(email);
    if (user) await this.recordLoginFailed(user.id, 'locked');
  }

  private recordLoginFailed(
    userId: string,
    reason: 'wrong_password' | 'account_disabled' | 'email_not_verified' | 'locked',
  ): Promise<void> {
    return this.audit.record({ userId, type: 'login_failed', details: { reason } });
  }

  private async startSession(
    user: User,
    client: ClientInfo,
  ): Promise<{ pair: TokenPair; sessionId: string }> {
    const refreshToken = generateRefreshToken();
    const now = Date.now();
    const expiresAt = this.refreshExpiry(new Date(now), now);
    const sessionId = await this.sessions.insert({
      userId: user.id,
      refreshTokenHash: hashRefreshToken(refreshToken),
      expiresAt,
      userAgent: client.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
      ip: storableClientIp(client.ip),
      credentialsVersion: user.credentialsVersion,
    });
    if (sessionId === null) {
      this.metrics.recordAuth('login_credentials_changed');
      throw AuthErrors.credentialsChanged();
    }
    const pair = this.tokenPair(
      { id: sessionId, userId: user.id, user },
      refreshToken,
      expiresAt,
      now,
    );
    return { pair, sessionId };
  }

  private tokenPair(
    session: { id: string; userId: string; user: Pick<User, 'roles'> },
    refreshToken: string,
    refreshExpiresAt: Date,
    now: number,
  ): TokenPair {
    const { id: sessionId, userId, user } = session;
    return {
      accessToken: this.accessTokens.issue({ userId, sessionId, roles: user.roles }),
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.config.accessTokenTtlS,
      refreshExpiresIn: Math.floor((refreshExpiresAt.getTime() - now) / 1000),
    };
  }

  private isUsable(session: LockedSession, now: number): boolean {
    return (
      session.revokedAt === null &&
      session.expiresAt.getTime() > now &&
      session.createdAt.getTime() + this.config.sessionMaxAgeS * 1000 > now &&
      session.user.status === 'active' &&
      session.hasCurrentCredentials
    );
  }

  /** REFRESH_TOKEN_TTL from now, but never past SESSION_MAX_AGE from sign-in. */
  private refreshExpiry(signedInAt: Date, now: number): Date {
    return new Date(
      Math.min(
        now + this.config.refreshTokenTtlS * 1000,
        signedInAt.getTime() + this.config.sessionMaxAgeS * 1000,
      ),
    );
  }
}
