import { Injectable } from '@nestjs/common';
import { ResponseCache } from '../cache/response-cache.service.js';
import { isUniqueViolation } from '../common/errors/database-errors.js';
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

const isActiveAdmin = (user: User): boolean =>
  user.status === 'active' && user.roles.includes('admin');

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly accessEvents: UserAccessEvents,
    private readonly cache: ResponseCache,
  ) {}

  /** Creates the account; the unique index decides between concurrent registrations. */
  async create(account: NewUser): Promise<User> {
    let user: User;
    try {
      user = await this.users.insert(account);
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
   * (the next sign-in carries the new roles).
   */
  async updateByAdmin(id: string, changes: AdminChanges, expectedVersion?: number): Promise<User> {
    const current = await this.getById(id);
    const defined = pickDefined(changes, ['displayName', 'roles', 'status']);
    const updated = await this.applyChanges(id, defined, expectedVersion, current);
    if (current.status === 'active' && updated.status === 'disabled') {
      await this.accessEvents.accessEnded(id, 'user_disabled');
    } else if (current.roles.some((role) => !updated.roles.includes(role))) {
      await this.accessEvents.accessEnded(id, 'roles_reduced');
    } else if (updated.roles.some((role) => !current.roles.includes(role))) {
      await this.accessEvents.accessEnded(id, 'roles_increased');
    }
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

  /** Stores the same password under current hashing parameters; a no-op if it changed meanwhile. */
  rehashPassword(
    id: string,
    passwordHash: string,
    expectedCredentialsVersion: number,
  ): Promise<void> {
    return this.users.rehashPassword(id, passwordHash, expectedCredentialsVersion);
  }

  /** Deletes the account with its sessions (cascade), which stop working at once. */
  async remove(id: string, expectedVersion?: number): Promise<void> {
    const current = await this.getById(id);
    if (expectedVersion !== undefined && current.version !== expectedVersion) {
      throw UsersErrors.versionMismatch();
    }
    const deleteIt = async (users: UsersRepository) => {
      if (isActiveAdmin(current) && (await users.countActiveAdmins()) <= 1) {
        throw UsersErrors.lastAdmin();
      }
      return users.delete(id, expectedVersion);
    };
    const deleted = isActiveAdmin(current)
      ? await this.users.withAdminSetLock(deleteIt)
      : await deleteIt(this.users);
    if (!deleted) await this.throwWhyNotApplied(id);
    await this.accessEvents.accessEnded(id, 'user_deleted');
    await this.changed(id);
  }

  /** Creates the account as an admin, or makes the existing account an active admin. */
  async ensureAdmin(
    email: string,
    hashPassword: () => Promise<string>,
  ): Promise<'created' | 'promoted' | 'unchanged'> {
    const existing = await this.users.findByEmail(email);
    if (!existing) {
      try {
        const created = await this.users.insert({
          email,
          passwordHash: await hashPassword(),
          displayName: null,
          roles: ['user', 'admin'],
        });
        await this.changed(created.id);
        return 'created';
      } catch (error) {
        // Another replica created it at the same moment: promote that one instead.
        if (!isUniqueViolation(error)) throw error;
        return this.ensureAdmin(email, hashPassword);
      }
    }
    if (isActiveAdmin(existing)) return 'unchanged';
    // Someone may have registered the admin address first: the operator's password replaces theirs
    // and their sessions end, so promotion never hands admin rights to whoever got there first.
    const roles: UserRole[] = existing.roles.includes('admin')
      ? existing.roles
      : [...existing.roles, 'admin'];
    await this.users.update(existing.id, {
      roles,
      status: 'active',
      passwordHash: await hashPassword(),
    });
    await this.accessEvents.accessEnded(existing.id, 'credentials_reset');
    await this.changed(existing.id);
    return 'promoted';
  }

  private async applyChanges(
    id: string,
    changes: UserChanges,
    expectedVersion: number | undefined,
    current?: User,
  ): Promise<User> {
    const before = current ?? (await this.getById(id));
    if (Object.keys(changes).length === 0) {
      if (expectedVersion !== undefined && before.version !== expectedVersion) {
        throw UsersErrors.versionMismatch();
      }
      return before;
    }
    const losesAdmin =
      isActiveAdmin(before) &&
      ((changes.roles !== undefined && !changes.roles.includes('admin')) ||
        changes.status === 'disabled');
    const updated = losesAdmin
      ? await this.users.withAdminSetLock(async (users) => {
          if ((await users.countActiveAdmins()) <= 1) throw UsersErrors.lastAdmin();
          return users.update(id, changes, expectedVersion);
        })
      : await this.users.update(id, changes, expectedVersion);
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

function pickDefined<T extends object, K extends keyof T>(source: T, keys: K[]): Pick<T, K> {
  const result = {} as Pick<T, K>;
  for (const key of keys) if (source[key] !== undefined) result[key] = source[key];
  return result;
}
