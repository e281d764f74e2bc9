import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { normalizeEmail } from '../users/email.js';
import { UsersService } from '../users/users.service.js';
import {
  isCommonPassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
} from './passwords/password-policy.js';
import { PasswordHasher } from './passwords/password-hasher.js';

/** Creates or promotes the first admin; shared by startup (ADMIN_EMAIL/ADMIN_PASSWORD) and the CLI. */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('AdminBootstrap');

  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordHasher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { email, password } = this.config.admin;
    if (!email || !password) return;
    const outcome = await this.ensureAdmin(email, password);
    if (outcome !== 'unchanged') this.logger.log(`Admin account ${outcome} from ADMIN_EMAIL`);
  }

  /** Idempotent: creates the account as admin, or makes an existing one an active admin. */
  async ensureAdmin(
    email: string,
    password: string,
  ): Promise<'created' | 'promoted' | 'unchanged'> {
    if (
      password.length < PASSWORD_MIN_LENGTH ||
      password.length > PASSWORD_MAX_LENGTH ||
      isCommonPassword(password)
    ) {
      throw new Error(
        `The admin password must be ${PASSWORD_MIN_LENGTH}-${PASSWORD_MAX_LENGTH} characters and not a common password`,
      );
    }
    return this.users.ensureAdmin(normalizeEmail(email), () => this.passwords.hash(password));
  }
}
