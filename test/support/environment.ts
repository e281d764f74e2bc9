/** The servers the suite runs against; `scripts/test.mjs` sets these defaults too. */
export const TEST_DATABASE_SERVER_URL =
  process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
