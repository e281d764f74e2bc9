import type { AuditService } from '../audit/audit.service.js';
import { beforeEach, describe, expect, it } from '@jest/globals';
import type { ResponseCache } from '../cache/response-cache.service.js';
import { DomainError } from '../common/errors/domain-error.js';
import type { PasswordHasher } from '../common/security/password-hasher.js';
import type { PasswordAttempts } from '../rate-limit/password-attempts.js';
import type { RateLimitService } from '../rate-limit/rate-limit.service.js';
import { type AccessEndReason, UserAccessEvents } from './user-access.events.js';
import { User, type UserRole, type UserStatus } from './user.entity.js';
import type { UserChanges, UsersRepository } from './users.repository.js';
import type { Transactions } from '../database/transactions.js';
import { UsersService } from './users.service.js';

/**
 * In-memory users with the repository's contract: conditional writes by version, and the
 * admin-set lock that the last-admin rule must count under.
 */
class FakeUsers {
  readonly rows = new Map<string, User>();
  isLocked = false;
  countsOutsideLock = 0;
  locksOutsideLock = 0;
  /** What another transaction committed just before this one got the lock. */
  committedBeforeLock: (() => void) | undefined;

  add(id: string, roles: UserRole[], status: UserStatus = 'active'): User {
    const user = Object.assign(new User(), {
      id,
      email: `${id}@example.com`,
      passwordHash: 'hash',
      displayName: null,
      roles,
      status,
      createdAt: new Date(),
      updatedAt: new Date(),
      version: 1,
    });
    this.rows.set(id, user);
    return user;
  }

  async withAdminSetLock<T>(work: (users: UsersRepository) => Promise<T>): Promise<T> {
    this.committedBeforeLock?.();
    this.committedBeforeLock = undefined;
    this.isLocked = true;
    try {
      return await work(this as unknown as UsersRepository);
    } finally {
      this.isLocked = false;
    }
  }

  findById(id: string): Promise<User | null> {
    const user = this.rows.get(id);
    return Promise.resolve(user ? Object.assign(new User(), user) : null);
  }

  lockById(id: string): Promise<User | null> {
    if (!this.isLocked) this.locksOutsideLock += 1;
    return this.findById(id);
  }

  update(id: string, changes: UserChanges, expectedVersion?: number): Promise<User | null> {
    const user = this.rows.get(id);
    if (!user || (expectedVersion !== undefined && user.version !== expectedVersion)) {
      return Promise.resolve(null);
    }
    Object.assign(user, changes, { version: user.version + 1 });
    return this.findById(id);
  }

  delete(id: string, expectedVersion?: number): Promise<boolean> {
    const user = this.rows.get(id);
    const matches = user !== undefined && (expectedVersion ?? user.version) === user.version;
    return Promise.resolve(matches && this.rows.delete(id));
  }

  countActiveAdmins(): Promise<number> {
    if (!this.isLocked) this.countsOutsideLock += 1;
    const admins = [...this.rows.values()].filter(
      (user) => user.status === 'active' && user.roles.includes('admin'),
    );
    return Promise.resolve(admins.length);
  }
}

// The repository fake has no database: a "transaction" just runs the work.
const inlineTransactions = {
  run: <T>(work: () => Promise<T>) => work(),
  afterCommit: (task: () => Promise<void>) => task(),
} as unknown as Transactions;

describe('UsersService: the last active admin', () => {
  let users: FakeUsers;
  let ended: Array<[string, AccessEndReason]>;
  let service: UsersService;

  beforeEach(() => {
    users = new FakeUsers();
    ended = [];
    const events = new UserAccessEvents();
    events.onAccessEnded((userId, reason) => {
      ended.push([userId, reason]);
      return Promise.resolve();
    });
    const cache = { invalidate: () => Promise.resolve() };
    service = new UsersService(
      users as unknown as UsersRepository,
      events,
      cache as unknown as ResponseCache,
      {} as PasswordHasher,
      {} as RateLimitService,
      {} as PasswordAttempts,
      inlineTransactions,
      { record: () => Promise.resolve() } as unknown as AuditService,
    );
  });

  const refusedAsLastAdmin = async (attempt: Promise<unknown>): Promise<void> => {
    const error = await attempt.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('USERS_LAST_ADMIN');
  };

  it.each([
    ['demoting', { roles: ['user'] as UserRole[] }],
    ['disabling', { status: 'disabled' as const }],
  ])('refuses %s the only active admin and changes nothing', async (_case, changes) => {
    users.add('admin-1', ['user', 'admin']);

    await refusedAsLastAdmin(service.updateByAdmin('admin-1', changes));

    expect(users.rows.get('admin-1')).toMatchObject({ roles: ['user', 'admin'], status: 'active' });
    expect(ended).toEqual([]);
  });

  it('refuses deleting the only active admin', async () => {
    users.add('admin-1', ['user', 'admin']);
    await refusedAsLastAdmin(service.remove('admin-1'));
    expect(users.rows.has('admin-1')).toBe(true);
  });

  it('does not count a disabled admin as the second one', async () => {
    users.add('admin-1', ['user', 'admin']);
    users.add('admin-2', ['user', 'admin'], 'disabled');
    await refusedAsLastAdmin(service.updateByAdmin('admin-1', { roles: ['user'] }));
  });

  it('demotes an admin while another active admin remains, and ends its sessions', async () => {
    users.add('admin-1', ['user', 'admin']);
    users.add('admin-2', ['user', 'admin']);

    const updated = await service.updateByAdmin('admin-1', { roles: ['user'] });

    expect(updated.roles).toEqual(['user']);
    expect(ended).toEqual([['admin-1', 'roles_reduced']]);
  });

  it('deletes an admin while another active admin remains', async () => {
    users.add('admin-1', ['user', 'admin']);
    users.add('admin-2', ['user', 'admin']);
    await service.remove('admin-1');
    expect(users.rows.has('admin-1')).toBe(false);
    expect(ended).toEqual([['admin-1', 'user_deleted']]);
  });

  it('counts the admins only under the admin-set lock', async () => {
    users.add('admin-1', ['user', 'admin']);
    users.add('admin-2', ['user', 'admin']);
    await service.updateByAdmin('admin-1', { status: 'disabled' });
    await service.remove('admin-2').catch(() => undefined);
    expect(users.countsOutsideLock).toBe(0);
    expect(users.locksOutsideLock).toBe(0);
  });

  it('decides on the row as it is under the lock: a target promoted meanwhile is the last admin', async () => {
    users.add('admin-1', ['user', 'admin']);
    users.add('member', ['user']);
    // Committed while the demotion of `member` was on its way: member promoted, admin-1 demoted.
    users.committedBeforeLock = () => {
      Object.assign(users.rows.get('member') ?? {}, { roles: ['user', 'admin'] });
      Object.assign(users.rows.get('admin-1') ?? {}, { roles: ['user'] });
    };

    await refusedAsLastAdmin(service.updateByAdmin('member', { roles: ['user'] }));

    expect(users.rows.get('member')?.roles).toEqual(['user', 'admin']);
  });

  it('refuses deleting a target that became the last admin while the request waited', async () => {
    users.add('admin-1', ['user', 'admin']);
    users.add('member', ['user']);
    users.committedBeforeLock = () => {
      Object.assign(users.rows.get('member') ?? {}, { roles: ['user', 'admin'] });
      Object.assign(users.rows.get('admin-1') ?? {}, { status: 'disabled' });
    };

    await refusedAsLastAdmin(service.remove('member'));

    expect(users.rows.has('member')).toBe(true);
  });

  it('ends the sessions of a target promoted while its demotion waited', async () => {
    users.add('admin-1', ['user', 'admin']);
    users.add('member', ['user']);
    users.committedBeforeLock = () => {
      Object.assign(users.rows.get('member') ?? {}, { roles: ['user', 'admin'] });
    };

    await service.updateByAdmin('member', { roles: ['user'] });

    expect(ended).toEqual([['member', 'roles_reduced']]);
  });

  it('refuses an actor whose admin rights ended while the request was on its way', async () => {
    users.add('admin-1', ['user', 'admin']);
    users.add('admin-2', ['user', 'admin']);
    users.add('member', ['user']);
    users.committedBeforeLock = () => {
      Object.assign(users.rows.get('admin-2') ?? {}, { roles: ['user'] });
    };

    const error = await service
      .updateByAdmin('member', { status: 'disabled' }, undefined, 'admin-2')
      .catch((thrown: unknown) => thrown);

    expect(error).toMatchObject({ code: 'AUTH_FORBIDDEN', kind: 'forbidden' });
    expect(users.rows.get('member')?.status).toBe('active');
    expect(ended).toEqual([]);
  });

  it('leaves the admin set alone for changes that keep an admin active', async () => {
    users.add('admin-1', ['user', 'admin']);
    const updated = await service.updateByAdmin('admin-1', { displayName: 'Ada' });
    expect(updated.displayName).toBe('Ada');
    await service.updateByAdmin('admin-1', { roles: ['admin'] });
    expect(users.rows.get('admin-1')?.roles).toEqual(['admin']);
  });
});
