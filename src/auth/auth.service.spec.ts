import { beforeEach, describe, expect, it } from '@jest/globals';
import type { AuthConfig } from '../config/app-config.js';
import { DomainError } from '../common/errors/domain-error.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { UserRole, UserStatus } from '../users/user.entity.js';
import type { UsersService } from '../users/users.service.js';
import type { AccountTokens } from '../account/account-tokens.js';
import type { EmailVerificationService } from '../account/email-verification.service.js';
import type { AuditService } from '../audit/audit.service.js';
import { AuthService, type TokenPair } from './auth.service.js';
import type { PasswordAttempts } from '../rate-limit/password-attempts.js';
import type { PasswordHasher } from '../common/security/password-hasher.js';
import type { RevocationScope, SessionRevocationService } from './session-revocation.service.js';
import type {
  LockedSession,
  RefreshTransaction,
  Rotation,
  SessionsRepository,
  UsedTokenRecord,
} from './sessions.repository.js';
import type { AccessTokenSubject, AccessTokens } from './tokens/access-tokens.js';
import { generateRefreshToken, hashRefreshToken } from './tokens/refresh-token.js';

const GRACE_S = 10;

interface StoredSession {
  id: string;
  userId: string;
  refreshTokenHash: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  hasCurrentCredentials: boolean;
  user: { roles: UserRole[]; status: UserStatus };
}

/** In-memory sessions with the repository's refresh contract (one transaction = one call). */
class FakeSessions {
  readonly sessions = new Map<string, StoredSession>();
  readonly usedTokens = new Map<
    string,
    { sessionId: string; rotatedAt: Date; graceResult: Buffer | null }
  >();

  add(refreshToken: string, overrides: Partial<StoredSession> = {}): StoredSession {
    const session: StoredSession = {
      id: `session-${this.sessions.size + 1}`,
      userId: 'user-1',
      refreshTokenHash: hashRefreshToken(refreshToken),
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + 3_600_000),
      revokedAt: null,
      hasCurrentCredentials: true,
      user: { roles: ['user'], status: 'active' },
      ...overrides,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  inRefreshTransaction<T>(work: (tx: RefreshTransaction) => Promise<T>): Promise<T> {
    const locked = (session: StoredSession): LockedSession => ({
      id: session.id,
      userId: session.userId,
      createdAt: session.createdAt,
      expiresAt: session.expiresAt,
      revokedAt: session.revokedAt,
      hasCurrentCredentials: session.hasCurrentCredentials,
      user: { ...session.user },
    });
    const tx = {
      lockByRefreshTokenHash: (hash: string) => {
        const session = [...this.sessions.values()].find((s) => s.refreshTokenHash === hash);
        return Promise.resolve(session ? locked(session) : null);
      },
      lockByUsedTokenHash: (hash: string): Promise<UsedTokenRecord | null> => {
        const used = this.usedTokens.get(hash);
        const session = used && this.sessions.get(used.sessionId);
        if (!used || !session) return Promise.resolve(null);
        const { rotatedAt, graceResult } = used;
        return Promise.resolve({ rotatedAt, graceResult, session: locked(session) });
      },
      rotate: (rotation: Rotation): Promise<void> => {
        for (const used of this.usedTokens.values()) {
          if (used.sessionId === rotation.sessionId) used.graceResult = null;
        }
        this.usedTokens.set(rotation.usedTokenHash, {
          sessionId: rotation.sessionId,
          rotatedAt: new Date(),
          graceResult: rotation.graceResult,
        });
        const session = this.sessions.get(rotation.sessionId)!;
        session.refreshTokenHash = rotation.newTokenHash;
        session.expiresAt = rotation.expiresAt;
        return Promise.resolve();
      },
      revoke: (sessionId: string): Promise<void> => {
        const session = this.sessions.get(sessionId)!;
        session.revokedAt ??= new Date();
        return Promise.resolve();
      },
    };
    return work(tx as unknown as RefreshTransaction);
  }
}

/** Records what was revoked and applies it to the fake sessions, as the real one does in SQL. */
class FakeRevocation {
  readonly revoked: RevocationScope[] = [];

  constructor(private readonly store: FakeSessions) {}

  revoke(scope: RevocationScope): Promise<string[]> {
    this.revoked.push(scope);
    const session = 'sessionId' in scope ? this.store.sessions.get(scope.sessionId) : undefined;
    if (!session) return Promise.resolve([]);
    session.revokedAt ??= new Date();
    return Promise.resolve([session.id]);
  }
}

const config: AuthConfig = {
  privateKeyPem: undefined,
  privateKeyFile: undefined,
  publicKeysFile: undefined,
  issuer: 'test',
  audience: 'test',
  accessTokenTtlS: 900,
  refreshTokenTtlS: 3_600,
  refreshReuseGraceS: GRACE_S,
  sessionMaxAgeS: 86_400,
  sessionPurgeIntervalS: 0,
};

describe('AuthService.refresh', () => {
  let store: FakeSessions;
  let revocation: FakeRevocation;
  let metrics: MetricsService;
  let issued: AccessTokenSubject[];
  let auth: AuthService;

  const authEvents = async (): Promise<Record<string, number>> =>
    Object.fromEntries(
      (await metrics.authEvents.get()).values
        .filter((value) => value.value > 0)
        .map((value) => [value.labels.event, value.value]),
    );

  beforeEach(() => {
    store = new FakeSessions();
    revocation = new FakeRevocation(store);
    metrics = new MetricsService();
    issued = [];
    const accessTokens = {
      issue: (subject: AccessTokenSubject) => {
        issued.push(subject);
        return `access-token-${issued.length}`;
      },
    };
    // Sign-in collaborators play no part in a refresh.
    auth = new AuthService(
      {} as UsersService,
      store as unknown as SessionsRepository,
      revocation as unknown as SessionRevocationService,
      {} as PasswordHasher,
      accessTokens as unknown as AccessTokens,
      {} as PasswordAttempts,
      metrics,
      {} as EmailVerificationService,
      {} as AccountTokens,
      { record: () => Promise.resolve() } as unknown as AuditService,
      config,
      { requireVerifiedEmail: false, cookies: false },
    );
  });

  const refreshFails = async (token: string, code: string): Promise<void> => {
    const error = await auth.refresh(token).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe(code);
  };

  it('rotates: a new pair for the session, the presented token retired', async () => {
    const token = generateRefreshToken();
    const session = store.add(token, { user: { roles: ['user', 'admin'], status: 'active' } });

    const pair = await auth.refresh(token);

    expect(pair).toEqual({
      accessToken: 'access-token-1',
      refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      tokenType: 'Bearer',
      expiresIn: 900,
      refreshExpiresIn: 3_600,
    });
    expect(pair.refreshToken).not.toBe(token);
    expect(issued).toEqual([{ userId: 'user-1', sessionId: session.id, roles: ['user', 'admin'] }]);
    expect(session.refreshTokenHash).toBe(hashRefreshToken(pair.refreshToken));
    expect(store.usedTokens.get(hashRefreshToken(token))?.sessionId).toBe(session.id);
    expect(revocation.revoked).toEqual([]);
    expect(await authEvents()).toEqual({ refresh: 1 });
  });

  it('replays the same pair for a token presented again within the grace window', async () => {
    const token = generateRefreshToken();
    store.add(token);
    const first = await auth.refresh(token);

    const again: TokenPair = await auth.refresh(token);

    expect(again).toEqual(first);
    expect(issued).toHaveLength(1);
    expect(revocation.revoked).toEqual([]);
    expect(await authEvents()).toEqual({ refresh: 1, refresh_grace_replay: 1 });
  });

  it('treats a retired token presented after the grace window as reuse and revokes the session', async () => {
    const token = generateRefreshToken();
    const session = store.add(token);
    const rotated = await auth.refresh(token);
    store.usedTokens.get(hashRefreshToken(token))!.rotatedAt = new Date(
      Date.now() - (GRACE_S + 1) * 1000,
    );

    await refreshFails(token, 'AUTH_REFRESH_REUSED');

    expect(revocation.revoked).toEqual([{ sessionId: session.id, reason: 'refresh_token_reuse' }]);
    expect(session.revokedAt).not.toBeNull();
    // The pair the rotation handed out dies with the session.
    await refreshFails(rotated.refreshToken, 'AUTH_REFRESH_INVALID');
    expect(await authEvents()).toEqual({ refresh: 1, refresh_reuse_detected: 1 });
  });

  it('refuses an expired session without rotating it', async () => {
    const token = generateRefreshToken();
    const session = store.add(token, { expiresAt: new Date(Date.now() - 1) });

    await refreshFails(token, 'AUTH_REFRESH_INVALID');

    expect(session.refreshTokenHash).toBe(hashRefreshToken(token));
    expect(store.usedTokens.size).toBe(0);
    expect(issued).toEqual([]);
  });

  it.each([
    ['a revoked session', { revokedAt: new Date() }],
    ['a disabled user', { user: { roles: ['user'] as UserRole[], status: 'disabled' as const } }],
    ['a session signed in before a credentials change', { hasCurrentCredentials: false }],
    [
      'a session signed in longer ago than SESSION_MAX_AGE',
      { createdAt: new Date(Date.now() - 86_400_000 - 1_000) },
    ],
  ])('refuses the current token of %s', async (_case, overrides) => {
    const token = generateRefreshToken();
    store.add(token, overrides);
    await refreshFails(token, 'AUTH_REFRESH_INVALID');
    expect(issued).toEqual([]);
  });

  it('never extends a refresh token past SESSION_MAX_AGE from sign-in', async () => {
    const token = generateRefreshToken();
    const signedInAt = new Date(Date.now() - 86_400_000 + 600_000);
    const session = store.add(token, { createdAt: signedInAt });

    const pair = await auth.refresh(token);

    expect(session.expiresAt.getTime()).toBe(signedInAt.getTime() + 86_400_000);
    expect(pair.refreshExpiresIn).toBeGreaterThan(590);
    expect(pair.refreshExpiresIn).toBeLessThanOrEqual(600);
  });

  it('refuses a token it never issued', async () => {
    await refreshFails(generateRefreshToken(), 'AUTH_REFRESH_INVALID');
  });
});
