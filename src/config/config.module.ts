import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, loadAppConfig, readProcessEnvironment } from './app-config.js';

/** The raw environment the configuration is read from; tests override it per application. */
export const ENVIRONMENT = Symbol('ENVIRONMENT');

@Global()
@Module({
  providers: [
    { provide: ENVIRONMENT, useFactory: readProcessEnvironment },
    { provide: APP_CONFIG, inject: [ENVIRONMENT], useFactory: loadAppConfig },
  ],
  exports: [APP_CONFIG],
})
export class ConfigModule {}
