import type { DataSource, Migration } from 'typeorm';

// Any constant works; it only has to be the same for every replica and the migration job.
const MIGRATION_LOCK_KEY = 7_302_194_221;

/**
 * Runs pending migrations while holding a PostgreSQL advisory lock, so replicas starting together
 * (or a replica and the migration job) never apply the same migration twice.
 */
export async function runMigrationsExclusively(dataSource: DataSource): Promise<Migration[]> {
  const lockRunner = dataSource.createQueryRunner();
  await lockRunner.connect();
  try {
    await lockRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lockRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    await lockRunner.release();
  }
}
