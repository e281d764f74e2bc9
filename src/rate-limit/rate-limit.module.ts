import { Module } from '@nestjs/common';
import { RedisModule } from '../redis/redis.module.js';
import { RateLimitGuard } from './rate-limit.guard.js';
import { RateLimitService } from './rate-limit.service.js';
import { RateLimitStore } from './rate-limit.store.js';

@Module({
  imports: [RedisModule],
  providers: [RateLimitStore, RateLimitService, RateLimitGuard],
  exports: [RateLimitStore, RateLimitService, RateLimitGuard],
})
export class RateLimitModule {}
