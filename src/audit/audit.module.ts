import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MetricsModule } from '../metrics/metrics.module.js';
import { AuditRetentionService } from './audit-retention.service.js';
import { AuditController } from './audit.controller.js';
import { AuditService } from './audit.service.js';
import { AuthEvent } from './auth-event.entity.js';
import { AuthEventsRepository } from './auth-events.repository.js';

/** Account history. Depends on no feature: users and auth import it, never the reverse. */
@Module({
  imports: [TypeOrmModule.forFeature([AuthEvent]), MetricsModule],
  controllers: [AuditController],
  providers: [AuditService, AuditRetentionService, AuthEventsRepository],
  exports: [AuditService, AuditRetentionService],
})
export class AuditModule {}
