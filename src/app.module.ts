import { Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { AuthModule } from './auth/auth.module.js';
import { ResponseCacheModule } from './cache/cache.module.js';
import { HttpCacheInterceptor } from './cache/http-cache.interceptor.js';
import { ProblemDetailsFilter } from './common/filters/problem-details.filter.js';
import { createValidationPipe } from './common/pipes/validation.pipe.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { InFlightRequests } from './lifecycle/in-flight-requests.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { RedisModule } from './redis/redis.module.js';
import { UsersModule } from './users/users.module.js';

@Module({
  imports: [
    ConfigModule,
    LoggingModule,
    RedisModule,
    DatabaseModule,
    ResponseCacheModule,
    MetricsModule,
    HealthModule,
    RateLimitModule,
    UsersModule,
    AuthModule,
  ],
  providers: [
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    InFlightRequests,
    // Outermost first; global ones wrap controller ones (the cache stores what the ETag
    // interceptor produced).
    { provide: APP_INTERCEPTOR, useExisting: InFlightRequests },
    { provide: APP_INTERCEPTOR, useExisting: HttpCacheInterceptor },
  ],
})
export class AppModule {}
