import { Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { APP_CONFIG } from '../config/app-config.js';
import { createLoggers, type Loggers } from './logger.factory.js';

export const LOGGERS = Symbol('LOGGERS');

@Module({
  providers: [{ provide: LOGGERS, inject: [APP_CONFIG], useFactory: createLoggers }],
  exports: [LOGGERS],
})
class LoggersModule {}

/**
 * nestjs-pino is Nest's logger, on our root pino logger. Its per-request middleware is not
 * mounted (`forRoutes: []`): the request id comes from the request context (a pino mixin), and
 * `setupApp` mounts the access logger before the body parser so a 400/413 is logged too.
 */
@Global()
@Module({
  imports: [
    LoggersModule,
    LoggerModule.forRootAsync({
      imports: [LoggersModule],
      inject: [LOGGERS],
      useFactory: (loggers: Loggers) => ({ pinoHttp: { logger: loggers.root }, forRoutes: [] }),
    }),
  ],
  exports: [LoggersModule],
})
export class LoggingModule {}
