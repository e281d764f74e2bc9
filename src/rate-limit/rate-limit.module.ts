import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { PasswordAttempts } from './password-attempts.js';
import { RateLimitGuard } from './rate-limit.guard.js';
import { RateLimitService } from './rate-limit.service.js';
import { RateLimitStore } from './rate-limit.store.js';

@Module({
  imports: [RedisModule, MetricsModule],
  providers: [RateLimitStore, RateLimitService, RateLimitGuard, PasswordAttempts],
  exports: [RateLimitStore, RateLimitService, RateLimitGuard, PasswordAttempts],
})
export class RateLimitModule {}
