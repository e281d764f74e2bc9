import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/app-config.js';
import { ENTITIES } from '../entities.js';
import { MIGRATIONS } from './migrations/index.js';
import { TypeOrmLogger } from './typeorm-logger.js';

/** One definition of the data source, shared by the application and the migration CLI. */
export function buildDataSourceOptions(config: DatabaseConfig, url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    // PGlite has no uuid-ossp; gen_random_uuid() is built into PostgreSQL >= 13.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    poolSize: config.poolSize,
    connectTimeoutMS: config.connectTimeoutMs,
    maxQueryExecutionTime: config.slowQueryMs,
    logger: new TypeOrmLogger(),
    logging: ['error', 'warn', 'migration'],
    extra: {
      application_name: 'user-auth-service',
      statement_timeout: config.statementTimeoutMs,
      idle_in_transaction_session_timeout: config.statementTimeoutMs * 2,
      connectionTimeoutMillis: config.connectTimeoutMs,
      // Idle pool connections are checked with TCP keepalive so a dead database is noticed.
      keepAlive: true,
    },
  };
}
