import { describe, expect, it } from '@jest/globals';
import { refusalsOf } from '../../test/support/config-refusals.js';
import { loadMigrationConfig } from './migration-config.js';
import { loadSessionsPurgeConfig } from './sessions-purge-config.js';

function problemsOf(environment: Record<string, string>): string[] {
  return refusalsOf(loadMigrationConfig, environment);
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

describe('loadSessionsPurgeConfig', () => {
  it('accepts production with the database URL alone and reads the session lifetimes', () => {
    const config = loadSessionsPurgeConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://app:secret@db:5432/app',
      SESSION_MAX_AGE: '604800',
    });
    expect(config.database.url).toBe('postgres://app:secret@db:5432/app');
    expect(config.sessions).toEqual({
      accessTokenTtlS: 900,
      refreshTokenTtlS: 30 * 24 * 3600,
      refreshReuseGraceS: 10,
      sessionMaxAgeS: 604_800,
      sessionPurgeIntervalS: 3600,
    });
  });

  it('refuses the embedded database in production and an invalid lifetime', () => {
    const problems = refusalsOf(loadSessionsPurgeConfig, {
      NODE_ENV: 'production',
      SESSION_MAX_AGE: '0',
    });
    expect(problems.map((problem) => problem.split(/[\s:]/)[0]).sort()).toEqual([
      'DATABASE_URL',
      'SESSION_MAX_AGE',
    ]);
  });
});
