// PostgreSQL and Redis for one run: a database of its own (created, seeded, dropped) and a Redis
// key prefix of its own (deleted afterwards), on the servers named by DATABASE_URL and REDIS_URL.
import { createClient } from '@keyv/redis';
import pg from 'pg';

const safeUrl = (url) => url.replace(/\/\/[^@/]*@/, '//***@');

async function withClient(url, work) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function withRedis(url, work) {
  const client = createClient({ url, socket: { connectTimeout: 3000, reconnectStrategy: false } });
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    if (client.isOpen) await client.close();
  }
}

/** Fails with one readable line per server that does not answer. */
export async function checkServers(databaseUrl, redisUrl) {
  const problems = [];
  await withClient(databaseUrl, (client) => client.query('SELECT 1')).catch((error) =>
    problems.push(`PostgreSQL is not reachable at ${safeUrl(databaseUrl)} (${error.message})`),
  );
  await withRedis(redisUrl, (client) => client.ping()).catch((error) =>
    problems.push(`Redis is not reachable at ${safeUrl(redisUrl)} (${error.message})`),
  );
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

export async function createDatabase(serverUrl, name) {
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(serverUrl, name) {
  await withClient(serverUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  );
}

export async function deleteRedisKeys(redisUrl, prefix) {
  return withRedis(redisUrl, async (client) => {
    let deleted = 0;
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      if (keys.length > 0) deleted += await client.del(keys);
    }
    return deleted;
  });
}

export const userEmail = (index) => `user${String(index).padStart(5, '0')}@bench.test`;
export const ADMIN_EMAIL = 'admin@bench.test';

/**
 * `count` users (user00001@bench.test...) and one admin, all with the same precomputed password
 * hash: one INSERT ... SELECT, so seeding takes well under a second.
 */
export async function seedUsers(databaseUrl, count, passwordHash) {
  await withClient(databaseUrl, async (client) => {
    await client.query(
      `INSERT INTO users (email, password_hash, display_name, roles, created_at, updated_at)
       SELECT 'user' || lpad(i::text, 5, '0') || '@bench.test', $1, 'Bench user ' || i,
              '{user}', now() - make_interval(secs => i), now() - make_interval(secs => i)
       FROM generate_series(1, $2::int) AS i`,
      [passwordHash, count],
    );
    await client.query(
      `INSERT INTO users (email, password_hash, display_name, roles)
       VALUES ($1, $2, 'Bench admin', '{user,admin}')`,
      [ADMIN_EMAIL, passwordHash],
    );
    await client.query('ANALYZE users');
  });
}

/** The outbox's rows by status: `{ pending, sent, failed }`. */
export async function outboxCounts(databaseUrl) {
  return withClient(databaseUrl, async (client) => {
    // A commit from before the outbox existed (benchmarked for comparison) has no table: nothing sent.
    const { rows: tables } = await client.query(
      "SELECT to_regclass('mail_outbox') IS NOT NULL AS ok",
    );
    if (!tables[0].ok) return { pending: 0, sent: 0, failed: 0 };
    const { rows } = await client.query(
      'SELECT status, count(*)::int AS count FROM mail_outbox GROUP BY status',
    );
    const counts = { pending: 0, sent: 0, failed: 0 };
    for (const row of rows) counts[row.status] = row.count;
    return counts;
  });
}
