import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { UserAccessEvents } from '../users/user-access.events.js';
import { AuthErrors } from './auth.errors.js';
import type { Caller } from './caller.js';
import { SessionRevocationService } from './session-revocation.service.js';
import { SessionsRepository, type SessionSummary } from './sessions.repository.js';
import { hashRefreshToken } from './tokens/refresh-token.js';

export interface SessionView extends SessionSummary {
  current: boolean;
}

/** A user's own sessions: listing them and signing them out. */
@Injectable()
export class SessionsService implements OnModuleInit {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly revocation: SessionRevocationService,
    private readonly accessEvents: UserAccessEvents,
    private readonly metrics: MetricsService,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    // The users feature ends access (disable, delete, demotion) without knowing about sessions.
    this.accessEvents.onAccessEnded(async (userId, reason, kept) => {
      if (kept) {
        await this.sessions.adoptCredentialsVersion(
          kept.sessionId,
          userId,
          kept.credentialsVersion,
        );
      }
      await this.revocation.revoke({ userId, reason, exceptSessionId: kept?.sessionId });
    });
  }

  async list(caller: Caller): Promise<SessionView[]> {
    const sessions = await this.sessions.findActiveForUser(caller.userId);
    return sessions.map((session) => ({ ...session, current: session.id === caller.sessionId }));
  }

  async logout(caller: Caller): Promise<void> {
    await this.revocation.revoke({
      sessionId: caller.sessionId,
      ownerId: caller.userId,
      reason: 'logout',
    });
    this.metrics.recordAuth('logout');
    await this.audit.record({
      userId: caller.userId,
      type: 'logout',
      details: { sessionId: caller.sessionId },
    });
  }

  /** Cookie mode: signs out the session the refresh token belongs to (only its current token). */
  async logoutWithRefreshToken(refreshToken: string): Promise<void> {
    const session = await this.sessions.findUnrevokedByRefreshTokenHash(
      hashRefreshToken(refreshToken),
    );
    if (!session) throw AuthErrors.refreshInvalid();
    await this.logout({ userId: session.userId, sessionId: session.id });
  }

  async logoutAll(caller: Caller): Promise<void> {
    await this.revocation.revoke({ userId: caller.userId, reason: 'logout_all' });
    this.metrics.recordAuth('logout_all');
    await this.audit.record({ userId: caller.userId, type: 'logout_all' });
  }

  /** Someone else's session and an unknown one look the same: not found. */
  async revoke(caller: Caller, sessionId: string): Promise<void> {
    const revoked = await this.revocation.revoke({
      sessionId,
      ownerId: caller.userId,
      reason: 'revoked_by_user',
    });
    if (revoked.length === 0) throw AuthErrors.sessionNotFound();
    await this.audit.record({
      userId: caller.userId,
      type: 'session_revoked',
      details: { sessionId },
    });
  }
}
