import type { Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from './app-config.js';

// One token per slice of the configuration: a provider injects the part it uses, so its
// constructor says which settings it depends on (and a test builds only that part).
export const AUTH_CONFIG = Symbol('AUTH_CONFIG');
export const RATE_LIMIT_CONFIG = Symbol('RATE_LIMIT_CONFIG');
export const REDIS_CONFIG = Symbol('REDIS_CONFIG');
export const DATABASE_CONFIG = Symbol('DATABASE_CONFIG');
export const CACHE_CONFIG = Symbol('CACHE_CONFIG');
export const METRICS_CONFIG = Symbol('METRICS_CONFIG');
export const ADMIN_CONFIG = Symbol('ADMIN_CONFIG');
export const MAIL_CONFIG = Symbol('MAIL_CONFIG');
export const ACCOUNT_CONFIG = Symbol('ACCOUNT_CONFIG');
export const AUDIT_CONFIG = Symbol('AUDIT_CONFIG');
export const PASSWORD_HASHING_CONFIG = Symbol('PASSWORD_HASHING_CONFIG');
/** `DATA_DIR`: where development keys (and the embedded database) are kept. */
export const DATA_DIR = Symbol('DATA_DIR');

const slice = (token: symbol, select: (config: AppConfig) => unknown): Provider => ({
  provide: token,
  inject: [APP_CONFIG],
  useFactory: select,
});

export const CONFIG_SLICES: Provider[] = [
  slice(AUTH_CONFIG, (config) => config.auth),
  slice(RATE_LIMIT_CONFIG, (config) => config.rateLimit),
  slice(REDIS_CONFIG, (config) => config.redis),
  slice(DATABASE_CONFIG, (config) => config.database),
  slice(CACHE_CONFIG, (config) => config.cache),
  slice(METRICS_CONFIG, (config) => config.metrics),
  slice(ADMIN_CONFIG, (config) => config.admin),
  slice(MAIL_CONFIG, (config) => config.mail),
  slice(ACCOUNT_CONFIG, (config) => config.account),
  slice(AUDIT_CONFIG, (config) => config.audit),
  slice(PASSWORD_HASHING_CONFIG, (config) => config.passwordHashing),
  slice(DATA_DIR, (config) => config.dataDir),
];
