import {
  type AppConfig,
  auditConfigOf,
  parseEnvironment,
  sessionLifetimesOf,
  type SessionLifetimes,
} from './app-config.js';
import { loadMigrationConfig } from './migration-config.js';

/**
 * The session purge CLI's configuration: the database settings (with the migration CLI's rules),
 * the token and session lifetimes and AUDIT_RETENTION_DAYS. Like the migration Job, the CronJob gets no signing key and
 * no Redis.
 */
export function loadSessionsPurgeConfig(
  environment: Record<string, string | undefined>,
): Pick<AppConfig, 'dataDir' | 'database' | 'audit'> & { sessions: SessionLifetimes } {
  const { dataDir, database } = loadMigrationConfig(environment);
  const { env } = parseEnvironment(environment);
  return { dataDir, database, sessions: sessionLifetimesOf(env), audit: auditConfigOf(env) };
}
