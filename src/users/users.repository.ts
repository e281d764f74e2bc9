import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, Repository } from 'typeorm';
import { classifyDatabaseError } from '../common/errors/database-errors.js';
import { entityMapper, type Row } from '../database/row-mapper.js';
import { inCurrentTransaction } from '../database/transactions.js';
import { User, type UserRole, type UserStatus } from './user.entity.js';

export interface NewUser {
  email: string;
  passwordHash: string;
  displayName: string | null;
  roles?: UserRole[];
  emailVerified?: boolean;
}

export type UserChanges = Partial<
  Pick<User, 'displayName' | 'roles' | 'status' | 'passwordHash' | 'emailVerified'>
>;

export interface UserPageQuery {
  limit: number;
  after?: { createdAt: Date; id: string };
  emailPrefix?: string;
  role?: UserRole;
  status?: UserStatus;
}

/** Rows of plain SQL to entities, by the entity's column metadata. */
export const toUser = entityMapper(User);

const escapeLike = (value: string): string => value.replace(/[\\%_]/g, (c) => `\\${c}`);

// Serializes every change to roles, status or existence of an account (and the admin bootstrap),
// so the last-admin rule and the revocation decision read a set no one else is changing.
const ADMIN_SET_LOCK_KEY = 7_302_194_222;
// A deadlock with another writer (a refresh rotation locking the same user's sessions) rolls the
// whole transaction back; running it again is safe because `work` only touches the database.
const ADMIN_SET_ATTEMPTS = 3;

/**
 * `credentials_version` for an UPDATE applying `changes`: one more when they set a password or
 * actually change the status or the set of roles (column names read the row before the update).
 */
function credentialsVersionAfter(changes: UserChanges): {
  expression: () => string;
  parameters: Record<string, unknown>;
} | null {
  const changed: string[] = [];
  const parameters: Record<string, unknown> = {};
  if (changes.passwordHash !== undefined) changed.push('TRUE');
  if (changes.status !== undefined) {
    changed.push('status IS DISTINCT FROM :credentialsStatus');
    parameters.credentialsStatus = changes.status;
  }
  if (changes.roles !== undefined) {
    changed.push('NOT (roles @> :credentialsRoles AND roles <@ :credentialsRoles)');
    parameters.credentialsRoles = changes.roles;
  }
  if (changed.length === 0) return null;
  return {
    expression: () => `credentials_version + CASE WHEN ${changed.join(' OR ')} THEN 1 ELSE 0 END`,
    parameters,
  };
}

@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /**
   * Runs `work` in a transaction holding the admin-set lock, on a repository bound to it; retried
   * on a deadlock or serialization failure.
   */
  async withAdminSetLock<T>(work: (users: UsersRepository) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.users.manager.transaction(async (manager) => {
          await manager.query('SELECT pg_advisory_xact_lock($1)', [ADMIN_SET_LOCK_KEY]);
          return work(new UsersRepository(manager.getRepository(User)));
        });
      } catch (error) {
        if (attempt >= ADMIN_SET_ATTEMPTS || classifyDatabaseError(error) !== 'retryable') {
          throw error;
        }
      }
    }
  }

  /** The row, locked until the transaction ends (inside `withAdminSetLock`). */
  async lockById(id: string): Promise<User | null> {
    const rows: Row[] = await this.users.query('SELECT * FROM users WHERE id = $1 FOR UPDATE', [
      id,
    ]);
    return rows.length > 0 ? toUser(rows[0]) : null;
  }

  async lockByEmail(email: string): Promise<User | null> {
    const rows: Row[] = await this.users.query('SELECT * FROM users WHERE email = $1 FOR UPDATE', [
      email,
    ]);
    return rows.length > 0 ? toUser(rows[0]) : null;
  }

  /** Plain SQL: the hottest read (every uncached /me), without the query builder's overhead. */
  async findById(id: string): Promise<User | null> {
    const rows: Row[] = await this.users.query('SELECT * FROM users WHERE id = $1', [id]);
    return rows.length > 0 ? toUser(rows[0]) : null;
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email });
  }

  /** Inserts in the caller's transaction when there is one (`Transactions.run`). */
  async insert(user: NewUser): Promise<User> {
    const result = await inCurrentTransaction(this.users)
      .createQueryBuilder()
      .insert()
      .values({ ...user, roles: user.roles ?? ['user'] })
      .returning('*')
      .execute();
    return toUser((result.raw as Row[])[0]);
  }

  /**
   * Applies the changes when the row still has `expectedVersion` (or always, when undefined), in
   * one statement; null when no row matched.
   */
  async update(id: string, changes: UserChanges, expectedVersion?: number): Promise<User | null> {
    const credentials = credentialsVersionAfter(changes);
    const query = this.users
      .createQueryBuilder()
      .update()
      .set(credentials ? { ...changes, credentialsVersion: credentials.expression } : changes)
      .where('id = :id', { id })
      .returning('*');
    if (credentials) query.setParameters(credentials.parameters);
    if (expectedVersion !== undefined) {
      query.andWhere('version = :expectedVersion', { expectedVersion });
    }
    const result = await query.execute();
    const rows = result.raw as Row[];
    if (rows.length === 0) return null;
    return toUser(rows[0]);
  }

  /**
   * Sets a new password if the credentials are still at `expectedCredentialsVersion` (a change
   * that began before another one does not overwrite it); null when they moved on.
   */
  async updatePasswordHash(
    id: string,
    passwordHash: string,
    expectedCredentialsVersion: number,
  ): Promise<User | null> {
    const result = await this.users
      .createQueryBuilder()
      .update()
      .set({ passwordHash, credentialsVersion: () => 'credentials_version + 1' })
      .where('id = :id', { id })
      .andWhere('credentials_version = :expectedCredentialsVersion', { expectedCredentialsVersion })
      .returning('*')
      .execute();
    const rows = result.raw as Row[];
    return rows.length > 0 ? toUser(rows[0]) : null;
  }

  /**
   * The same password hashed with current parameters: not a credentials change, so no version
   * bump, and never written over a password set since `expectedCredentialsVersion`.
   */
  async rehashPassword(
    id: string,
    passwordHash: string,
    expectedCredentialsVersion: number,
  ): Promise<void> {
    await this.users.query(
      'UPDATE users SET password_hash = $2 WHERE id = $1 AND credentials_version = $3',
      [id, passwordHash, expectedCredentialsVersion],
    );
  }

  /**
   * Marks the address verified if it is still `email` (a link mailed to an address the account has
   * since left verifies nothing); null otherwise. In the caller's transaction.
   */
  async markEmailVerified(id: string, email: string): Promise<User | null> {
    return this.updateReturning(
      `UPDATE users SET email_verified = TRUE, version = version + 1, updated_at = now()
       WHERE id = $1 AND email = $2 RETURNING *`,
      [id, email],
    );
  }

  /**
   * Sets the password from a reset link mailed to `linkEmail`, if that is still the address of an
   * active account (null otherwise: a link mailed to an address the account left resets nothing): a
   * credentials change (sessions end), and proof that the owner reads that address.
   */
  async resetPassword(id: string, passwordHash: string, linkEmail: string): Promise<User | null> {
    return this.updateReturning(
      `UPDATE users SET password_hash = $2, email_verified = TRUE,
         credentials_version = credentials_version + 1, version = version + 1, updated_at = now()
       WHERE id = $1 AND email = $3 AND status = 'active' RETURNING *`,
      [id, passwordHash, linkEmail],
    );
  }

  /**
   * Moves the account to a confirmed address: verified, and a credentials change (the old address
   * no longer signs in; sessions end). The unique index refuses an address taken meanwhile.
   */
  async changeEmail(id: string, email: string): Promise<User | null> {
    return this.updateReturning(
      `UPDATE users SET email = $2, email_verified = TRUE,
         credentials_version = credentials_version + 1, version = version + 1, updated_at = now()
       WHERE id = $1 RETURNING *`,
      [id, email],
    );
  }

  private async updateReturning(sql: string, parameters: unknown[]): Promise<User | null> {
    const [rows]: [Row[], number] = await inCurrentTransaction(this.users).query(sql, parameters);
    return rows.length > 0 ? toUser(rows[0]) : null;
  }

  async delete(id: string, expectedVersion?: number): Promise<boolean> {
    const query = this.users.createQueryBuilder().delete().where('id = :id', { id });
    if (expectedVersion !== undefined) {
      query.andWhere('version = :expectedVersion', { expectedVersion });
    }
    const result = await query.execute();
    return (result.affected ?? 0) > 0;
  }

  /** Newest first, keyset-paginated over (created_at, id); returns up to `limit + 1` rows. */
  findPage(page: UserPageQuery): Promise<User[]> {
    const query = this.users
      .createQueryBuilder('user')
      .orderBy('user.createdAt', 'DESC')
      .addOrderBy('user.id', 'DESC')
      .limit(page.limit + 1);
    if (page.after) {
      const { createdAt, id } = page.after;
      query.andWhere(
        new Brackets((where) =>
          where
            .where('user.createdAt < :createdAt', { createdAt })
            .orWhere('user.createdAt = :createdAt AND user.id < :id', { createdAt, id }),
        ),
      );
    }
    if (page.emailPrefix) {
      query.andWhere(`user.email LIKE :prefix ESCAPE '\\'`, {
        prefix: `${escapeLike(page.emailPrefix)}%`,
      });
    }
    if (page.role) query.andWhere(':role = ANY(user.roles)', { role: page.role });
    if (page.status) query.andWhere('user.status = :status', { status: page.status });
    return query.getMany();
  }

  countActiveAdmins(): Promise<number> {
    return this.users
      .createQueryBuilder('user')
      .where(`'admin' = ANY(user.roles)`)
      .andWhere(`user.status = 'active'`)
      .getCount();
  }
}
