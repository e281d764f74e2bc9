import {
  type AppConfig,
  parseEnvironment,
  sessionLifetimesOf,
  type SessionLifetimes,
} from './app-config.js';
import { loadMigrationConfig } from './migration-config.js';

/**
 * The session purge CLI's configuration: the database settings (with the migration CLI's rules)
 * and the token and session lifetimes. Like the migration Job, the CronJob gets no signing key and
 * no Redis.
 */
export function loadSessionsPurgeConfig(
  environment: Record<string, string | undefined>,
): Pick<AppConfig, 'dataDir' | 'database'> & { sessions: SessionLifetimes } {
  const { dataDir, database } = loadMigrationConfig(environment);
  return { dataDir, database, sessions: sessionLifetimesOf(parseEnvironment(environment).env) };
}
