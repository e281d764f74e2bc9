import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/app-config.js';
import { ENTITIES } from '../entities.js';
import { MIGRATIONS } from './migrations/index.js';
import { TypeOrmLogger } from './typeorm-logger.js';

/**
 * Session settings sent as startup parameters. A transaction-mode pooler refuses them (PgBouncer:
 * "unsupported startup parameter") or, told to ignore them, drops them; behind one they are set on
 * the database role instead (README "PgBouncer").
 */
function sessionParameters(config: DatabaseConfig) {
  return {
    statement_timeout: config.statementTimeoutMs,
    idle_in_transaction_session_timeout: config.statementTimeoutMs * 2,
  };
}

/**
 * One definition of the data source, shared by the application and the CLIs. `url` is
 * DATABASE_URL, or DATABASE_DIRECT_URL for a connection that bypasses a transaction-mode pooler.
 */
export function buildDataSourceOptions(config: DatabaseConfig, url: string): DataSourceOptions {
  const isThroughTransactionPooler = config.pooler === 'transaction' && url !== config.directUrl;
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
      ...(isThroughTransactionPooler ? {} : sessionParameters(config)),
      connectionTimeoutMillis: config.connectTimeoutMs,
      // Idle pool connections are checked with TCP keepalive so a dead database is noticed.
      keepAlive: true,
    },
  };
}
