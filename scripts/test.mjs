// `npm test`: checks that PostgreSQL and Redis answer (one clear line if not), then runs jest
// with the flags its ESM support needs. Extra arguments go to jest.
import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { createClient } from '@keyv/redis';
import { buildIfStale } from './build-if-stale.mjs';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const unitOnly =
  args.includes('--selectProjects') && args[args.indexOf('--selectProjects') + 1] === 'unit';

process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/test';
process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';

async function checkPostgres(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => {});
  }
}

async function checkRedis(url) {
  const client = createClient({ url, socket: { connectTimeout: 3000, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } finally {
    if (client.isOpen) await client.close();
  }
}

const safeUrl = (url) => url.replace(/\/\/[^@/]*@/, '//***@');

if (!unitOnly) {
  const failures = [];
  await checkPostgres(process.env.DATABASE_URL).catch((error) =>
    failures.push(
      `PostgreSQL is not reachable at ${safeUrl(process.env.DATABASE_URL)} (${error.message || error.code}). ` +
        'Start it (Debian: `pg_ctlcluster 15 main start`; Docker: `docker compose up -d postgres`) or set DATABASE_URL.',
    ),
  );
  await checkRedis(process.env.REDIS_URL).catch((error) =>
    failures.push(
      `Redis is not reachable at ${safeUrl(process.env.REDIS_URL)} (${error.message || error.code}). ` +
        'Start it (`redis-server --daemonize yes`; Docker: `docker compose up -d redis`) or set REDIS_URL.',
    ),
  );
  if (failures.length > 0) {
    for (const failure of failures) console.error(failure);
    process.exit(1);
  }
}

// Contract tests boot the built service (the OpenAPI document needs the Swagger CLI plugin).
if (!unitOnly) buildIfStale();

const nodeOptions = [
  process.env.NODE_OPTIONS,
  '--experimental-vm-modules',
  '--disable-warning=ExperimentalWarning',
]
  .filter(Boolean)
  .join(' ');
const jest = spawn(process.execPath, [path.join(root, 'node_modules/jest/bin/jest.js'), ...args], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: nodeOptions },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => jest.kill(signal));
jest.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
