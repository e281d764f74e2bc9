import { execFile } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { loadAppConfig } from '../../src/config/app-config.js';
import { buildDataSourceOptions } from '../../src/database/data-source-options.js';
import { MIGRATIONS } from '../../src/database/migrations/index.js';
import { runMigrationsExclusively } from '../../src/database/migrations-runner.js';
import { TEST_REDIS_URL } from '../support/environment.js';
import { TestDatabase } from '../support/test-database.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The built migration CLI (`dist/`, built by `npm test`) as the Job runs it, on `env` alone. */
function runMigrationCli(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['dist/database/migration-cli.js', 'run'],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          output: `${stdout}${stderr}`,
        }),
    );
  });
}

describe('migrations', () => {
  let database: TestDatabase;
  const open = () =>
    new DataSource(
      buildDataSourceOptions(loadAppConfig({ LOG_LEVEL: 'silent' }).database, database.url),
    ).initialize();

  beforeAll(async () => {
    // No application here: keep TypeORM's migration chatter out of the test output.
    Logger.overrideLogger(['error']);
    database = await TestDatabase.create();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('apply once even when two replicas start together (advisory lock)', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    try {
      const [appliedByA, appliedByB] = await Promise.all([
        runMigrationsExclusively(a),
        runMigrationsExclusively(b),
      ]);
      expect(appliedByA.length + appliedByB.length).toBe(MIGRATIONS.length);
      const recorded = await database.query<{ name: string }>(
        'SELECT name FROM migrations ORDER BY id',
      );
      expect(recorded.map((row) => row.name)).toEqual(
        MIGRATIONS.map((migration) => migration.name),
      );
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
    }
  });

  it('leave nothing for the entities to add: entities and migrations have not drifted', async () => {
    const dataSource = await open();
    try {
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((query) => query.query)).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('revert completely and apply again', async () => {
    const dataSource = await open();
    try {
      for (let index = 0; index < MIGRATIONS.length; index += 1) {
        await dataSource.undoLastMigration({ transaction: 'each' });
      }
      const tables = await database.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`,
      );
      expect(tables).toEqual([]);
      expect(await runMigrationsExclusively(dataSource)).toHaveLength(MIGRATIONS.length);
    } finally {
      await dataSource.destroy();
    }
  });

  it('record a tombstone for every session deleted with its user (trigger)', async () => {
    const [user] = await database.query<{ id: string }>(
      `INSERT INTO users (email, password_hash) VALUES ('tomb@example.com', 'x') RETURNING id`,
    );
    const [session] = await database.query<{ id: string }>(
      `INSERT INTO sessions (user_id, refresh_token_hash, last_used_at, expires_at)
       VALUES ($1, 'h', now(), now() + interval '1 day') RETURNING id`,
      [user.id],
    );
    await database.query('DELETE FROM users WHERE id = $1', [user.id]);
    const tombstones = await database.query<{ session_id: string; user_id: string }>(
      'SELECT session_id, user_id FROM session_tombstones',
    );
    expect(tombstones).toEqual([{ session_id: session.id, user_id: user.id }]);
  });

  it('run from the CLI in production with the database settings alone: no signing key, no Redis needed', async () => {
    const target = await TestDatabase.create();
    try {
      const run = await runMigrationCli({
        NODE_ENV: 'production',
        DATABASE_URL: target.url,
        REDIS_URL: TEST_REDIS_URL,
      });
      expect(run).toEqual({ code: 0, output: expect.stringContaining('Applied:') });
      const recorded = await target.query<{ name: string }>('SELECT name FROM migrations');
      expect(recorded).toHaveLength(MIGRATIONS.length);
    } finally {
      await target.drop();
    }
  });

  it('refuse the embedded database in production from the CLI too', async () => {
    const run = await runMigrationCli({ NODE_ENV: 'production' });
    expect(run).toEqual({ code: 1, output: expect.stringContaining('DATABASE_URL is required') });
    expect(run.output).not.toContain('JWT_PRIVATE_KEY');
  });
});
