import { DataSource } from 'typeorm';
import type { DatabaseConfig } from '../config/app-config.js';
import { buildDataSourceOptions } from './data-source-options.js';

/**
 * The data source for work that needs its session kept between statements (session-level advisory
 * locks): a pool of its own on DATABASE_DIRECT_URL behind a transaction-mode pooler, the
 * application's otherwise.
 */
export const DIRECT_DATA_SOURCE = Symbol('DIRECT_DATA_SOURCE');

// A lock holder and one more connection: migrations hold the lock while another connection runs them.
const DIRECT_POOL_SIZE = 2;

/** Opens the direct data source when one is configured; `shared` otherwise. */
export async function openDirectDataSource(
  config: DatabaseConfig,
  shared: DataSource,
): Promise<DataSource> {
  if (!config.directUrl) return shared;
  return new DataSource(
    buildDataSourceOptions({ ...config, poolSize: DIRECT_POOL_SIZE }, config.directUrl),
  ).initialize();
}
