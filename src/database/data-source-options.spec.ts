import { describe, expect, it } from '@jest/globals';
import type { DatabaseConfig } from '../config/app-config.js';
import { buildDataSourceOptions } from './data-source-options.js';

const POOLER_URL = 'postgres://app@pgbouncer:6432/app';
const DIRECT_URL = 'postgres://app@postgres:5432/app';

const config = (overrides: Partial<DatabaseConfig>): DatabaseConfig => ({
  url: POOLER_URL,
  pooler: 'none',
  directUrl: undefined,
  dataDir: ':memory:',
  poolSize: 10,
  statementTimeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  slowQueryMs: 500,
  runMigrations: false,
  ...overrides,
});

const extraOf = (database: DatabaseConfig, url: string) =>
  (buildDataSourceOptions(database, url) as { extra: Record<string, unknown> }).extra;

describe('buildDataSourceOptions', () => {
  it('sets the statement and idle-in-transaction timeouts as startup parameters', () => {
    expect(extraOf(config({}), POOLER_URL)).toMatchObject({
      statement_timeout: 10_000,
      idle_in_transaction_session_timeout: 20_000,
    });
  });

  it('sends no startup parameter a transaction-mode pooler refuses, but keeps them on the direct URL', () => {
    const pooled = config({ pooler: 'transaction', directUrl: DIRECT_URL });
    const throughPooler = extraOf(pooled, POOLER_URL);
    expect(throughPooler).not.toHaveProperty('statement_timeout');
    expect(throughPooler).not.toHaveProperty('idle_in_transaction_session_timeout');
    expect(throughPooler).toMatchObject({ application_name: 'user-auth-service' });
    expect(extraOf(pooled, DIRECT_URL)).toMatchObject({ statement_timeout: 10_000 });
  });
});
