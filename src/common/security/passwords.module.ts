import { Module } from '@nestjs/common';
import { PasswordHasher } from './password-hasher.js';

/** One PasswordHasher for every feature that checks passwords (auth, users). */
@Module({
  providers: [PasswordHasher],
  exports: [PasswordHasher],
})
export class PasswordsModule {}
