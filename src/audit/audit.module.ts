import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditService } from './audit.service.js';
import { AuthEvent } from './auth-event.entity.js';
import { AuthEventsRepository } from './auth-events.repository.js';

@Module({
  imports: [TypeOrmModule.forFeature([AuthEvent])],
  providers: [AuditService, AuthEventsRepository],
  exports: [AuditService],
})
export class AuditModule {}
