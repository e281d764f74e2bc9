import { Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { APP_CONFIG } from '../config/app-config.js';
import { createHttpLogger, createRootLogger } from './logger.factory.js';

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
export const HTTP_LOGGER = Symbol('HTTP_LOGGER');

@Module({
  providers: [{ provide: ROOT_LOGGER, inject: [APP_CONFIG], useFactory: createRootLogger }],
  exports: [ROOT_LOGGER],
})
class RootLoggerModule {}

/**
 * The access logger is mounted by `setupApp` before the body parser (so a 413 is logged too);
 * nestjs-pino then reuses the logger it attached (`useExisting`) for request-scoped log lines.
 */
@Global()
@Module({
  imports: [
    RootLoggerModule,
    LoggerModule.forRootAsync({
      imports: [RootLoggerModule],
      inject: [ROOT_LOGGER],
      useFactory: (logger: Logger) => ({ pinoHttp: { logger }, useExisting: true }),
    }),
  ],
  providers: [{ provide: HTTP_LOGGER, inject: [ROOT_LOGGER], useFactory: createHttpLogger }],
  exports: [RootLoggerModule, HTTP_LOGGER],
})
export class LoggingModule {}
