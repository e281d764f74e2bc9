import { describe, expect, it } from '@jest/globals';
import { ConfigValidationError } from './app-config.js';
import { loadMigrationConfig } from './migration-config.js';

function problemsOf(environment: Record<string, string>): string[] {
  try {
    loadMigrationConfig(environment);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadMigrationConfig', () => {
  it('accepts production with the database URL alone (no signing key, no Redis)', () => {
    const config = loadMigrationConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://app:secret@db:5432/app',
      DB_POOL_SIZE: '4',
    });
    expect(config.database).toMatchObject({
      url: 'postgres://app:secret@db:5432/app',
      poolSize: 4,
      runMigrations: false,
    });
  });

  it('refuses the embedded database in production and invalid database settings, nothing else', () => {
    const problems = problemsOf({ NODE_ENV: 'production', DB_POOL_SIZE: 'many' });
    expect([...new Set(problems.map((problem) => problem.split(/[\s:]/)[0]))].sort()).toEqual([
      'DATABASE_URL',
      'DB_POOL_SIZE',
    ]);
  });
});
