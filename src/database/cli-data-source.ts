import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { buildDataSourceOptions } from './data-source-options.js';
import { EmbeddedPostgres } from './embedded-postgres.js';

export interface CliDataSource {
  dataSource: DataSource;
  close: () => Promise<void>;
}

/**
 * The application's data source for a command-line tool; without DATABASE_URL, on the embedded
 * database in DATA_DIR. Behind a transaction-mode pooler it connects to DATABASE_DIRECT_URL: the
 * migration and purge locks are session-level, and a job's few connections need no pooler.
 */
export async function openCliDataSource(
  config: Pick<AppConfig, 'dataDir' | 'database'>,
): Promise<CliDataSource> {
  const embedded = config.database.url ? undefined : new EmbeddedPostgres(config.dataDir, 4);
  const url = config.database.directUrl ?? config.database.url ?? (await embedded!.start());
  const dataSource = await new DataSource(
    buildDataSourceOptions(config.database, url),
  ).initialize();
  return {
    dataSource,
    close: async () => {
      await dataSource.destroy();
      await embedded?.stop();
    },
  };
}
