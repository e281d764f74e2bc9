import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { PasswordHasher } from '../common/security/password-hasher.js';
import { passwordPolicyViolation } from '../common/security/password-policy.js';
import type { AdminConfig } from '../config/app-config.js';
import { ADMIN_CONFIG } from '../config/config-slices.js';
import { normalizeEmail } from '../users/email.js';
import {
  UsersService,
  type EnsureAdminOutcome,
  type EnsureAdminPolicy,
} from '../users/users.service.js';

export interface EnsureAdminOptions {
  /** Re-enable the account if it is disabled (the CLI's --reactivate; never at startup). */
  reactivate?: boolean;
}

/**
 * The first admin. At startup (ADMIN_EMAIL/ADMIN_PASSWORD) it creates the account when the address
 * is unused, and promotes an existing one only while no active admin exists; it never re-enables a
 * disabled account, so an admin disabled on purpose stays disabled across restarts. The CLI
 * (`ensureAdmin`) is the operator's explicit tool: it promotes, and re-enables with `reactivate`.
 */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('AdminBootstrap');

  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordHasher,
    @Inject(ADMIN_CONFIG) private readonly config: AdminConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { email, password } = this.config;
    if (!email || !password) return;
    const outcome = await this.apply(email, password, {
      promoteWhenAdminsExist: false,
      reactivate: false,
    });
    switch (outcome) {
      case 'created':
      case 'promoted':
      case 'reactivated':
        this.logger.log(`Admin account ${outcome} from ADMIN_EMAIL`);
        return;
      case 'left_disabled':
        this.logger.warn(
          'ADMIN_EMAIL names a disabled account: left disabled (to re-enable it: ' +
            'npm run user:create-admin -- --email <address> --reactivate)',
        );
        return;
      case 'left_unpromoted':
        this.logger.warn(
          'ADMIN_EMAIL names an account that is not an admin while other admins exist: left as it is',
        );
        return;
      case 'unchanged':
        return;
    }
  }

  /** The CLI: creates the admin, or promotes the account; re-enables it only with `reactivate`. */
  ensureAdmin(
    email: string,
    password: string,
    options: EnsureAdminOptions = {},
  ): Promise<EnsureAdminOutcome> {
    return this.apply(email, password, {
      promoteWhenAdminsExist: true,
      reactivate: options.reactivate ?? false,
    });
  }

  private async apply(
    email: string,
    password: string,
    policy: EnsureAdminPolicy,
  ): Promise<EnsureAdminOutcome> {
    const violation = passwordPolicyViolation(password, 'The admin password');
    if (violation) throw new Error(violation);
    return this.users.ensureAdmin(
      normalizeEmail(email),
      () => this.passwords.hash(password),
      policy,
    );
  }
}
