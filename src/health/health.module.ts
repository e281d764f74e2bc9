import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LifecycleModule } from '../lifecycle/lifecycle.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { CacheHealthIndicator } from './cache-health.indicator.js';
import { DatabaseHealthIndicator } from './database-health.indicator.js';
import { HealthController } from './health.controller.js';
import { HealthService } from './health.service.js';

@Module({
  // Readiness failures are reported in the response and by the probe; not logged per probe.
  imports: [TerminusModule.forRoot({ logger: false }), RedisModule, LifecycleModule, MetricsModule],
  controllers: [HealthController],
  providers: [HealthService, CacheHealthIndicator, DatabaseHealthIndicator],
})
export class HealthModule {}
