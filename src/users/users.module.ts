import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { ResponseCacheModule } from '../cache/cache.module.js';
import { PasswordsModule } from '../common/security/passwords.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { TransactionsModule } from '../database/transactions.module.js';
import { UserAccessEvents } from './user-access.events.js';
import { User } from './user.entity.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([User]),
    ResponseCacheModule,
    PasswordsModule,
    RateLimitModule,
    TransactionsModule,
    AuditModule,
  ],
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, UserAccessEvents],
  exports: [UsersService, UserAccessEvents],
})
export class UsersModule {}
