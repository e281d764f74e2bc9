import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, loadAppConfig, readProcessEnvironment } from './app-config.js';
import { CONFIG_SLICES } from './config-slices.js';

/** The raw environment the configuration is read from; tests override it per application. */
export const ENVIRONMENT = Symbol('ENVIRONMENT');

/**
 * Global: configuration is read everywhere. The whole `AppConfig` is for bootstrap code
 * (`main.ts`, `setupApp`, logging, shutdown); features inject only their slice.
 */
@Global()
@Module({
  providers: [
    { provide: ENVIRONMENT, useFactory: readProcessEnvironment },
    { provide: APP_CONFIG, inject: [ENVIRONMENT], useFactory: loadAppConfig },
    ...CONFIG_SLICES,
  ],
  exports: [APP_CONFIG, ...CONFIG_SLICES],
})
export class ConfigModule {}
