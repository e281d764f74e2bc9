import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { ResponseCache } from '../cache/response-cache.service.js';
import { Transactions } from '../database/transactions.js';
import { isUniqueViolation } from '../common/errors/database-errors.js';
import { passwordIncorrect } from '../common/security/password-errors.js';
import { PasswordHasher } from '../common/security/password-hasher.js';
import { PasswordAttempts } from '../rate-limit/password-attempts.js';
import { RateLimitService } from '../rate-limit/rate-limit.service.js';
import { UserAccessEvents } from './user-access.events.js';
import type { User, UserRole, UserStatus } from './user.entity.js';
import { UsersErrors } from './users.errors.js';
import { decodeCursor, encodeCursor } from './users-page.cursor.js';
import { USERS_LIST_TAG, userTag } from './users.cache-tags.js';
import { UsersRepository, type NewUser, type UserChanges } from './users.repository.js';

export interface ProfileChanges {
  displayName?: string | null;
}

export interface AdminChanges extends ProfileChanges {
  roles?: UserRole[];
  status?: UserStatus;
}

export interface UsersPageRequest {
  limit: number;
  cursor?: string;
  emailPrefix?: string;
  role?: UserRole;
  status?: UserStatus;
}

export interface UsersPage {
  users: User[];
  nextCursor: string | null;
}

/** What the admin bootstrap did; the `left_*` outcomes changed nothing. */
export type EnsureAdminOutcome =
  'created' | 'promoted' | 'reactivated' | 'unchanged' | 'left_disabled' | 'left_unpromoted';

export interface EnsureAdminPolicy {
  /** Promote an existing active account even while other active admins exist (the CLI). */
  promoteWhenAdminsExist: boolean;
  /** Re-enable a disabled account (the CLI's --reactivate); never implied. */
  reactivate: boolean;
}

const isActiveAdmin = (user: User): boolean =>
  user.status === 'active' && user.roles.includes('admin');

const losesAdmin = (user: User, changes: UserChanges): boolean =>
  isActiveAdmin(user) &&
  ((changes.roles !== undefined && !changes.roles.includes('admin')) ||
    changes.status === 'disabled');

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly accessEvents: UserAccessEvents,
    private readonly cache: ResponseCache,
    private readonly passwords: PasswordHasher,
    private readonly limits: RateLimitService,
    private readonly attempts: PasswordAttempts,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
  ) {}

  /**
   * Creates the account, and runs `alsoInTransaction` (the mail and audit rows registration
   * causes) in the same transaction; the unique index decides between concurrent registrations.
   */
  async create(account: NewUser, alsoInTransaction?: (user: User) => Promise<void>): Promise<User> {
    let user: User;
    try {
      user = await this.transactions.run(async () => {
        const created = await this.users.insert(account);
        await alsoInTransaction?.(created);
        return created;
      });
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_key')) throw UsersErrors.emailTaken();
      throw error;
    }
    await this.changed(user.id);
    return user;
  }

  async getById(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw UsersErrors.notFound();
    return user;
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findByEmail(email);
  }

  async list(request: UsersPageRequest): Promise<UsersPage> {
    let after: { createdAt: Date; id: string } | undefined;
    if (request.cursor !== undefined) {
      after = decodeCursor(request.cursor);
      if (!after) throw UsersErrors.invalidCursor();
    }
    const rows = await this.users.findPage({
      limit: request.limit,
      after,
      emailPrefix: request.emailPrefix,
      role: request.role,
      status: request.status,
    });
    const users = rows.slice(0, request.limit);
    const last = users.at(-1);
    const nextCursor =
      rows.length > request.limit && last
        ? encodeCursor({ createdAt: last.createdAt, id: last.id })
        : null;
    return { users, nextCursor };
  }

  updateProfile(id: string, changes: ProfileChanges, expectedVersion?: number): Promise<User> {
    return this.applyChanges(id, pickDefined(changes, ['displayName']), expectedVersion);
  }

  /**
   * Admin changes; disabling an account or changing its roles either way ends its sessions at once
   * (the next sign-in carries the new roles). Roles and status change under the admin-set lock,
   * decided on the row as it is then (not as read earlier), and only while `actorId` is still an
   * active admin.
   */
  async updateByAdmin(
    id: string,
    changes: AdminChanges,
    expectedVersion?: number,
    actorId?: string,
  ): Promise<User> {
    const defined = pickDefined(changes, ['displayName', 'roles', 'status']);
    if (defined.roles === undefined && defined.status === undefined && actorId === undefined) {
      return this.applyChanges(id, defined, expectedVersion);
    }
    const { before, updated } = await this.users.withAdminSetLock(async (users) => {
      if (actorId !== undefined) await assertActiveAdmin(users, actorId);
      const before = await lockForWrite(users, id, expectedVersion);
      if (losesAdmin(before, defined) && (await users.countActiveAdmins()) <= 1) {
        throw UsersErrors.lastAdmin();
      }
      if (Object.keys(defined).length === 0) return { before, updated: before };
      const updated = await users.update(id, defined);
      if (!updated) throw UsersErrors.notFound();
      return { before, updated };
    });
    if (before.status === 'active' && updated.status === 'disabled') {
      await this.accessEvents.accessEnded(id, 'user_disabled');
    } else if (before.roles.some((role) => !updated.roles.includes(role))) {
      await this.accessEvents.accessEnded(id, 'roles_reduced');
    } else if (updated.roles.some((role) => !before.roles.includes(role))) {
      await this.accessEvents.accessEnded(id, 'roles_increased');
    }
    await this.changed(id);
    await this.recordAdminChanges(before, updated, actorId);
    return updated;
  }

  /**
   * Sets a new password unless the credentials changed since `expectedCredentialsVersion` was
   * read; returns the new credentials version, or null.
   */
  async changePassword(
    id: string,
    passwordHash: string,
    expectedCredentialsVersion: number,
  ): Promise<number | null> {
    const updated = await this.users.updatePasswordHash(
      id,
      passwordHash,
      expectedCredentialsVersion,
    );
    if (!updated) return null;
    await this.changed(id);
    return updated.credentialsVersion;
  }

  /**
   * Marks `email` verified while it is still the account's address; false otherwise. Joins the
   * caller's transaction; caches are invalidated once it commits.
   */
  async markEmailVerified(id: string, email: string): Promise<boolean> {
    const updated = await this.users.markEmailVerified(id, email);
    if (updated) await this.transactions.afterCommit(() => this.changed(id));
    return updated !== null;
  }

  /**
   * Sets a password from a reset link mailed to `linkEmail`; returns the account, or null when it
   * is gone. Joins the caller's transaction. Ending the sessions is the caller's part.
   */
  async resetPassword(id: string, passwordHash: string, linkEmail: string): Promise<User | null> {
    const updated = await this.users.resetPassword(id, passwordHash, linkEmail);
    if (updated) await this.transactions.afterCommit(() => this.changed(id));
    return updated;
  }

  /**
   * Moves the account to `email` (verified); USERS_EMAIL_TAKEN when another account has it. Joins
   * the caller's transaction (which the refusal aborts). Ending the sessions is the caller's part.
   */
  async changeEmail(id: string, email: string): Promise<User> {
    let updated: User | null;
    try {
      updated = await this.users.changeEmail(id, email);
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_key')) throw UsersErrors.emailTaken();
      throw error;
    }
    if (!updated) throw UsersErrors.notFound();
    await this.transactions.afterCommit(() => this.changed(id));
    return updated;
  }

  /** Stores the same password under current hashing parameters; a no-op if it changed meanwhile. */
  rehashPassword(
    id: string,
    passwordHash: string,
    expectedCredentialsVersion: number,
  ): Promise<void> {
    return this.users.rehashPassword(id, passwordHash, expectedCredentialsVersion);
  }

  /**
   * Deletes the caller's own account once they confirm their password (a stolen access token alone
   * cannot); counted with password changes, per user, and locked after repeated wrong passwords
   * from one address like a password change.
   */
  async removeSelf(
    id: string,
    password: string,
    clientIp: string | undefined,
    expectedVersion?: number,
  ): Promise<void> {
    await this.limits.consumeForUser('password', id);
    await this.confirmPassword(id, password, clientIp, 'password');
    await this.remove(id, expectedVersion);
  }

  /**
   * The signed-in caller's password, confirmed before a sensitive change: counted and locked per
   * address like sign-in (AUTH_ACCOUNT_LOCKED), AUTH_PASSWORD_INCORRECT naming `field` when wrong.
   */
  async confirmPassword(
    id: string,
    password: string,
    clientIp: string | undefined,
    field: string,
  ): Promise<User> {
    const user = await this.getById(id);
    const account = { userId: id };
    await this.attempts.reserveAttempt(account, clientIp);
    if (!(await this.passwords.verify(user.passwordHash, password))) {
      throw passwordIncorrect(field);
    }
    await this.attempts.attemptSucceeded(account, clientIp);
    return user;
  }

  /**
   * Deletes the account with its sessions (cascade), which stop working at once; with `actorId`,
   * only while that caller is still an active admin.
   */
  async remove(id: string, expectedVersion?: number, actorId?: string): Promise<void> {
    await this.users.withAdminSetLock(async (users) => {
      if (actorId !== undefined) await assertActiveAdmin(users, actorId);
      const current = await lockForWrite(users, id, expectedVersion);
      if (isActiveAdmin(current) && (await users.countActiveAdmins()) <= 1) {
        throw UsersErrors.lastAdmin();
      }
      await users.delete(id);
    });
    await this.accessEvents.accessEnded(id, 'user_deleted');
    await this.changed(id);
    // No foreign key: the event outlives the account until AUDIT_RETENTION_DAYS.
    await this.audit.record({
      userId: id,
      type: 'account_deleted',
      actorId: actingAdmin(id, actorId),
    });
  }

  /**
   * Creates the account as an admin, or makes the existing one an active admin where `policy`
   * allows. Under the admin-set lock, so replicas starting together create one admin and none
   * fails. A disabled account stays disabled unless `policy.reactivate`.
   */
  async ensureAdmin(
    email: string,
    hashPassword: () => Promise<string>,
    policy: EnsureAdminPolicy,
  ): Promise<EnsureAdminOutcome> {
    type Result = { outcome: EnsureAdminOutcome; userId?: string; before?: User };
    let result: Result;
    try {
      result = await this.users.withAdminSetLock<Result>(async (users) => {
        const existing = await users.lockByEmail(email);
        if (!existing) {
          const created = await users.insert({
            email,
            passwordHash: await hashPassword(),
            displayName: null,
            roles: ['user', 'admin'],
            // The operator vouches for the address: REQUIRE_VERIFIED_EMAIL never locks out the admin.
            emailVerified: true,
          });
          return { outcome: 'created', userId: created.id };
        }
        if (isActiveAdmin(existing)) return { outcome: 'unchanged' };
        if (existing.status !== 'active' && !policy.reactivate) return { outcome: 'left_disabled' };
        if (
          existing.status === 'active' &&
          !policy.promoteWhenAdminsExist &&
          (await users.countActiveAdmins()) > 0
        ) {
          return { outcome: 'left_unpromoted' };
        }
        // Someone may have registered the admin address first: the operator's password replaces
        // theirs and their sessions end, so promotion never hands admin rights to whoever got
        // there first.
        await users.update(existing.id, {
          roles: withAdmin(existing.roles),
          status: 'active',
          passwordHash: await hashPassword(),
          emailVerified: true,
        });
        return {
          outcome: existing.status === 'active' ? 'promoted' : 'reactivated',
          userId: existing.id,
          before: existing,
        };
      });
    } catch (error) {
      // Registered outside the lock at the same moment: decide again on that account.
      if (!isUniqueViolation(error, 'users_email_key')) throw error;
      return this.ensureAdmin(email, hashPassword, policy);
    }
    const { outcome, userId, before } = result;
    if (userId === undefined) return outcome;
    if (outcome !== 'created') await this.accessEvents.accessEnded(userId, 'credentials_reset');
    await this.changed(userId);
    if (before) {
      const after = { ...before, status: 'active' as const, roles: withAdmin(before.roles) };
      await this.recordAdminChanges(before, after);
      await this.audit.record({
        userId,
        type: 'password_changed',
        details: { reason: 'admin_bootstrap' },
      });
    }
    return outcome;
  }

  private async recordAdminChanges(before: User, updated: User, actorId?: string): Promise<void> {
    const event = { userId: updated.id, actorId: actingAdmin(updated.id, actorId) };
    if (before.status !== updated.status) {
      const type = updated.status === 'disabled' ? 'account_disabled' : 'account_enabled';
      await this.audit.record({ ...event, type });
    }
    const isSameRoles =
      before.roles.length === updated.roles.length &&
      before.roles.every((role) => updated.roles.includes(role));
    if (!isSameRoles) {
      await this.audit.record({
        ...event,
        type: 'roles_changed',
        details: { from: before.roles, to: updated.roles },
      });
    }
  }

  private async applyChanges(
    id: string,
    changes: ProfileChanges,
    expectedVersion: number | undefined,
  ): Promise<User> {
    if (Object.keys(changes).length === 0) {
      const current = await this.getById(id);
      if (expectedVersion !== undefined && current.version !== expectedVersion) {
        throw UsersErrors.versionMismatch();
      }
      return current;
    }
    const updated = await this.users.update(id, changes, expectedVersion);
    if (!updated) return this.throwWhyNotApplied(id);
    await this.changed(id);
    return updated;
  }

  /** Every cached view of this user and every list miss from now on, on every replica. */
  private changed(id: string): Promise<void> {
    return this.cache.invalidate([userTag(id), USERS_LIST_TAG]);
  }

  /** A conditional write matched no row: the user is gone, or its version moved on. */
  private async throwWhyNotApplied(id: string): Promise<never> {
    const exists = await this.users.findById(id);
    throw exists ? UsersErrors.versionMismatch() : UsersErrors.notFound();
  }
}

const withAdmin = (roles: UserRole[]): UserRole[] =>
  roles.includes('admin') ? roles : [...roles, 'admin'];

/** The admin recorded as having acted on `userId`: none when it was the account's owner. */
const actingAdmin = (userId: string, actorId: string | undefined): string | undefined =>
  actorId === userId ? undefined : actorId;

/** Refuses a caller whose admin rights ended while the request was on its way. */
async function assertActiveAdmin(users: UsersRepository, actorId: string): Promise<void> {
  const actor = await users.findById(actorId);
  if (!actor || !isActiveAdmin(actor)) throw UsersErrors.notAdmin();
}

/** The row locked for the rest of the transaction, at the version the client expects. */
async function lockForWrite(
  users: UsersRepository,
  id: string,
  expectedVersion: number | undefined,
): Promise<User> {
  const current = await users.lockById(id);
  if (!current) throw UsersErrors.notFound();
  if (expectedVersion !== undefined && current.version !== expectedVersion) {
    throw UsersErrors.versionMismatch();
  }
  return current;
}

function pickDefined<T extends object, K extends keyof T>(source: T, keys: K[]): Pick<T, K> {
  const result = {} as Pick<T, K>;
  for (const key of keys) if (source[key] !== undefined) result[key] = source[key];
  return result;
}
