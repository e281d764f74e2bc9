import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { passwordPolicyViolation } from '../common/security/password-policy.js';
import type { AdminConfig } from '../config/app-config.js';
import { ADMIN_CONFIG } from '../config/config-slices.js';
import { normalizeEmail } from '../users/email.js';
import { UsersService } from '../users/users.service.js';
import { PasswordHasher } from './passwords/password-hasher.js';

/** Creates or promotes the first admin; shared by startup (ADMIN_EMAIL/ADMIN_PASSWORD) and the CLI. */
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
    const outcome = await this.ensureAdmin(email, password);
    if (outcome !== 'unchanged') this.logger.log(`Admin account ${outcome} from ADMIN_EMAIL`);
  }

  /** Idempotent: creates the account as admin, or makes an existing one an active admin. */
  async ensureAdmin(
    email: string,
    password: string,
  ): Promise<'created' | 'promoted' | 'unchanged'> {
    const violation = passwordPolicyViolation(password, 'The admin password');
    if (violation) throw new Error(violation);
    return this.users.ensureAdmin(normalizeEmail(email), () => this.passwords.hash(password));
  }
}
