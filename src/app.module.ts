import { Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { AccountModule } from './account/account.module.js';
import { AuthModule } from './auth/auth.module.js';
import { ResponseCacheModule } from './cache/cache.module.js';
import { HttpCacheInterceptor } from './cache/http-cache.interceptor.js';
import { ProblemDetailsFilter } from './common/filters/problem-details.filter.js';
import { createValidationPipe } from './common/pipes/validation.pipe.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { InFlightRequests } from './lifecycle/in-flight-requests.js';
import { LifecycleModule } from './lifecycle/lifecycle.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { MailModule } from './mail/mail.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { UsersModule } from './users/users.module.js';

/**
 * The composition root. Only configuration and logging are global; every other module imports
 * what it uses, so each module's imports say what it depends on.
 */
@Module({
  imports: [
    ConfigModule,
    LoggingModule,
    DatabaseModule,
    LifecycleModule,
    MetricsModule,
    ResponseCacheModule,
    HealthModule,
    MailModule,
    UsersModule,
    AuthModule,
    AccountModule,
  ],
  providers: [
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    // Outermost first; global ones wrap controller ones (the cache stores what the ETag
    // interceptor produced).
    { provide: APP_INTERCEPTOR, useExisting: InFlightRequests },
    { provide: APP_INTERCEPTOR, useExisting: HttpCacheInterceptor },
  ],
})
export class AppModule {}
