import {
  type AppConfig,
  ConfigValidationError,
  databaseConfigOf,
  databaseProblemsOf,
  parseEnvironment,
} from './app-config.js';

/**
 * The migration CLI's configuration: the database settings alone. Production still refuses the
 * embedded database, but not a missing signing key or Redis: the migration Job is given neither.
 */
export function loadMigrationConfig(
  environment: Record<string, string | undefined>,
): Pick<AppConfig, 'dataDir' | 'database'> {
  const { env, problems } = parseEnvironment(environment);
  const isProduction = env.NODE_ENV === 'production';
  problems.push(...databaseProblemsOf(env, isProduction));
  if (problems.length > 0) throw new ConfigValidationError(problems);
  const dataDir = env.DATA_DIR ?? '.data';
  return { dataDir, database: databaseConfigOf(env, dataDir, isProduction) };
}
