import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import request from 'supertest';
import { SessionsPurgeService } from '../../src/auth/sessions-purge.service.js';
import { PURGE_LOCK_KEY } from '../../src/auth/sessions.repository.js';
import { createSignedInUser, type TokenPair } from '../factories/user.factory.js';
import { TEST_REDIS_URL } from '../support/environment.js';
import { decodeJwt } from '../support/jwt.js';
import { useTestEnvironment, type TestEnvironment } from '../support/test-app.js';
import { waitUntil } from '../support/wait.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DAY_S = 24 * 3600;
const DEFAULT_MAX_AGE_S = 90 * DAY_S;

/** The built purge CLI (`dist/`, built by `npm test`) as the CronJob runs it, on `env` alone. */
function runPurgeCli(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['dist/auth/sessions-purge.cli.js'],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          output: `${stdout}${stderr}`,
        }),
    );
  });
}

const refresh = (server: Parameters<typeof request>[0], refreshToken: string) =>
  request(server).post('/api/v1/auth/refresh').send({ refreshToken });

/** Rows in every state the purge distinguishes, for one new user; returns their ids. */
async function seed(environment: TestEnvironment) {
  const db = environment.database;
  const [user] = await db.query<{ id: string }>(
    `INSERT INTO users (email, password_hash) VALUES ($1, 'not-a-hash') RETURNING id`,
    [`purge-${randomBytes(4).toString('hex')}@example.com`],
  );
  // Ages in seconds before now; the access token window is ACCESS_TOKEN_TTL (900) + 60 s.
  const session = async (columns: {
    created?: number;
    lastUsed?: number;
    expires?: number;
    revoked?: number;
  }) => {
    const [row] = await db.query<{ id: string }>(
      `INSERT INTO sessions (user_id, refresh_token_hash, created_at, last_used_at, expires_at, revoked_at)
       VALUES ($1, $2, now() - make_interval(secs => $3), now() - make_interval(secs => $6),
         now() - make_interval(secs => $4),
         CASE WHEN $5::float8 IS NULL THEN NULL ELSE now() - make_interval(secs => $5) END)
       RETURNING id`,
      [
        user.id,
        randomBytes(24).toString('base64url'),
        columns.created ?? 0,
        columns.expires ?? -DAY_S,
        columns.revoked ?? null,
        columns.lastUsed ?? 0,
      ],
    );
    return row.id;
  };
  const live = await session({});
  const ids = {
    live,
    revokedRecently: await session({ revoked: 60 }),
    expiredRecently: await session({ expires: 60 }),
    nearMaxAge: await session({ created: DEFAULT_MAX_AGE_S - 3600 }),
    revokedLongAgo: await session({ revoked: 3600 }),
    expiredLongAgo: await session({ expires: 3600 }),
    pastMaxAge: await session({ created: DEFAULT_MAX_AGE_S + 3600, lastUsed: 3600 }),
    // Signed in before SESSION_MAX_AGE was lowered to what it is now, refreshed a minute ago: its
    // access token still lives, so its row stays (to be revoked if need be).
    pastMaxAgeRefreshedRecently: await session({ created: DEFAULT_MAX_AGE_S + 3600, lastUsed: 60 }),
  };
  const usedToken = async (rotatedS: number) => {
    const hash = randomBytes(24).toString('base64url');
    await db.query(
      `INSERT INTO used_refresh_tokens (token_hash, session_id, rotated_at)
       VALUES ($1, $2, now() - make_interval(secs => $3))`,
      [hash, live, rotatedS],
    );
    return hash;
  };
  const tombstone = async (deletedS: number) => {
    const [row] = await db.query<{ session_id: string }>(
      `INSERT INTO session_tombstones (session_id, user_id, deleted_at)
       VALUES (gen_random_uuid(), $1, now() - make_interval(secs => $2)) RETURNING session_id`,
      [user.id, deletedS],
    );
    return row.session_id;
  };
  const linkToken = async (expiredS: number) => {
    const [row] = await db.query<{ id: string }>(
      `INSERT INTO account_tokens (user_id, purpose, token_hash, email, expires_at)
       VALUES ($1, 'reset_password', $2, 'x@example.com', now() - make_interval(secs => $3))
       RETURNING id`,
      [user.id, randomBytes(24).toString('base64url'), expiredS],
    );
    return row.id;
  };
  // Mails are told apart by recipient: the outbox has no user column.
  const recipient = `${user.id}@example.com`;
  const mail = async (status: 'pending' | 'sent' | 'failed', ageDays: number) => {
    const [row] = await db.query<{ id: string }>(
      // Due tomorrow: a running app's outbox worker leaves the pending one alone.
      `INSERT INTO mail_outbox
         (recipient, template, subject, text_body, html_body, status, created_at, next_attempt_at)
       VALUES ($1, 'test', 's', 't', 'h', $2, now() - make_interval(days => $3), now() + interval '1 day')
       RETURNING id`,
      [recipient, status, ageDays],
    );
    return row.id;
  };
  return {
    userId: user.id,
    sessions: ids,
    usedTokens: { recent: await usedToken(DAY_S), old: await usedToken(31 * DAY_S) },
    tombstones: { recent: await tombstone(60), old: await tombstone(3600) },
    // Expired links answer ACCOUNT_TOKEN_EXPIRED for a week, then go.
    linkTokens: {
      live: await linkToken(-3600),
      expiredRecently: await linkToken(6 * DAY_S),
      expiredLongAgo: await linkToken(8 * DAY_S),
    },
    // Finished mails stay 30 days for operators; a pending one stays until it is delivered or fails.
    mailRecipient: recipient,
    mails: {
      sentRecently: await mail('sent', 29),
      pendingOld: await mail('pending', 31),
      sentLongAgo: await mail('sent', 31),
      failedLongAgo: await mail('failed', 31),
    },
  };
}

type Seeded = Awaited<ReturnType<typeof seed>>;

const KEPT_SESSIONS = [
  'live',
  'revokedRecently',
  'expiredRecently',
  'nearMaxAge',
  'pastMaxAgeRefreshedRecently',
] as const;

async function expectPurged(environment: TestEnvironment, seeded: Seeded): Promise<void> {
  const db = environment.database;
  const sessions = await db.query<{ id: string }>('SELECT id FROM sessions WHERE user_id = $1', [
    seeded.userId,
  ]);
  expect(sessions.map((row) => row.id).sort()).toEqual(
    KEPT_SESSIONS.map((name) => seeded.sessions[name]).sort(),
  );
  const usedTokens = await db.query<{ token_hash: string }>(
    'SELECT token_hash FROM used_refresh_tokens WHERE session_id = $1',
    [seeded.sessions.live],
  );
  expect(usedTokens.map((row) => row.token_hash)).toEqual([seeded.usedTokens.recent]);
  // The sessions purged leave no tombstone behind (their access tokens expired long ago).
  const tombstones = await db.query<{ session_id: string }>(
    'SELECT session_id FROM session_tombstones WHERE user_id = $1',
    [seeded.userId],
  );
  expect(tombstones.map((row) => row.session_id)).toEqual([seeded.tombstones.recent]);
  const linkTokens = await db.query<{ id: string }>(
    'SELECT id FROM account_tokens WHERE user_id = $1',
    [seeded.userId],
  );
  expect(linkTokens.map((row) => row.id).sort()).toEqual(
    [seeded.linkTokens.live, seeded.linkTokens.expiredRecently].sort(),
  );
  const mails = await db.query<{ id: string }>('SELECT id FROM mail_outbox WHERE recipient = $1', [
    seeded.mailRecipient,
  ]);
  expect(mails.map((row) => row.id).sort()).toEqual(
    [seeded.mails.sentRecently, seeded.mails.pendingOld].sort(),
  );
}

describe('session lifetime (SESSION_MAX_AGE)', () => {
  const scope = useTestEnvironment();

  async function moveSignInBack(tokens: TokenPair, ageS: number): Promise<void> {
    const sid = decodeJwt(tokens.accessToken).payload.sid as string;
    await scope.environment.database.query(
      'UPDATE sessions SET created_at = now() - make_interval(secs => $2) WHERE id = $1',
      [sid, ageS],
    );
  }

  it('refuses a refresh 90 days after sign-in by default, though the session was refreshed daily', async () => {
    const service = await scope.environment.startApp({ SESSION_PURGE_INTERVAL: '0' });
    const user = await createSignedInUser(service.server);

    // The day before the limit: still refreshed, but the new refresh token ends with the session.
    await moveSignInBack(user.tokens, DEFAULT_MAX_AGE_S - DAY_S);
    const lastDay = await refresh(service.server, user.tokens.refreshToken);
    expect(lastDay.status).toBe(200);
    const pair = lastDay.body as TokenPair;
    expect(pair.refreshExpiresIn).toBeLessThanOrEqual(DAY_S);
    expect(pair.refreshExpiresIn).toBeGreaterThan(DAY_S - 60);

    await moveSignInBack(user.tokens, DEFAULT_MAX_AGE_S + 1);
    const after = await refresh(service.server, pair.refreshToken);
    expect({ status: after.status, code: (after.body as { code?: string }).code }).toEqual({
      status: 401,
      code: 'AUTH_REFRESH_INVALID',
    });
  });

  it('signs out a session whose refresh expiry has passed while its last access token lives', async () => {
    const service = await scope.environment.startApp({ SESSION_PURGE_INTERVAL: '0' });
    const user = await createSignedInUser(service.server);
    const me = () =>
      request(service.server).get('/api/v1/users/me').set('Authorization', user.bearer);
    await me().expect(200);
    // SESSION_MAX_AGE caps the refresh expiry, not the access token's.
    const sid = decodeJwt(user.tokens.accessToken).payload.sid as string;
    await scope.environment.database.query(
      "UPDATE sessions SET expires_at = now() - interval '5 seconds' WHERE id = $1",
      [sid],
    );
    await request(service.server)
      .post('/api/v1/auth/logout')
      .set('Authorization', user.bearer)
      .expect(204);
    const [row] = await scope.environment.database.query<{ revoked: boolean }>(
      'SELECT revoked_at IS NOT NULL AS revoked FROM sessions WHERE id = $1',
      [sid],
    );
    expect(row.revoked).toBe(true);
    expect((await me()).status).toBe(401);
  });

  it('gives a first refresh token no longer than a shorter SESSION_MAX_AGE', async () => {
    const service = await scope.environment.startApp({
      SESSION_MAX_AGE: '600',
      SESSION_PURGE_INTERVAL: '0',
    });
    const user = await createSignedInUser(service.server);
    expect(user.tokens.refreshExpiresIn).toBe(600);
    const rows = await scope.environment.database.query<{ lifetime_s: number }>(
      `SELECT EXTRACT(EPOCH FROM expires_at - created_at)::float8 AS lifetime_s FROM sessions
       WHERE user_id = $1`,
      [user.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].lifetime_s).toBeGreaterThan(590);
    expect(rows[0].lifetime_s).toBeLessThanOrEqual(601);
  });
});

describe('session purge', () => {
  const scope = useTestEnvironment();

  it("runs once when two replicas' purges start together: the second skips, ended rows go, live ones stay", async () => {
    const environment = scope.environment;
    const [a, b] = await Promise.all([
      environment.startApp({ SESSION_PURGE_INTERVAL: '0' }),
      environment.startApp({ SESSION_PURGE_INTERVAL: '0' }),
    ]);
    const seeded = await seed(environment);
    // Holds replica A inside its purge (its first delete writes tombstones) while B tries.
    const blocker = new pg.Client({ connectionString: environment.database.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE session_tombstones IN SHARE MODE');
      const first = a.app.get(SessionsPurgeService).purge();
      await waitUntil('replica A to hold the purge lock and wait', async () => {
        const waiting = await environment.database.query(
          `SELECT 1 FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'
             AND query LIKE '%DELETE FROM sessions%'`,
        );
        return waiting.length > 0;
      });

      expect(await b.app.get(SessionsPurgeService).purge()).toBeNull();

      await blocker.query('COMMIT');
      expect(await first).toEqual({
        sessions: 3,
        usedRefreshTokens: 1,
        tombstones: 1,
        authEvents: 0,
        accountTokens: 1,
        mails: 2,
      });
    } finally {
      await blocker.query('ROLLBACK').catch(() => {});
      await blocker.end();
    }
    await expectPurged(environment, seeded);
    // The lock was released: the next run goes ahead and finds nothing left.
    expect(await b.app.get(SessionsPurgeService).purge()).toEqual({
      sessions: 0,
      usedRefreshTokens: 0,
      tombstones: 0,
      authEvents: 0,
      accountTokens: 0,
      mails: 0,
    });
  });

  it('runs on its own every SESSION_PURGE_INTERVAL', async () => {
    const environment = scope.environment;
    const service = await environment.startApp({ SESSION_PURGE_INTERVAL: '1' });
    try {
      const seeded = await seed(environment);
      // Mails are the purge's last step.
      await waitUntil('the timer to purge', async () => {
        const rows = await environment.database.query('SELECT 1 FROM mail_outbox WHERE id = $1', [
          seeded.mails.failedLongAgo,
        ]);
        return rows.length === 0;
      });
      await expectPurged(environment, seeded);
    } finally {
      // Its timer would purge the next test's rows before the CLI does.
      await service.close();
    }
  });

  it('runs from the CLI in production with the database settings alone, and skips while another purge runs', async () => {
    const environment = scope.environment;
    const seeded = await seed(environment);
    const env = {
      NODE_ENV: 'production',
      DATABASE_URL: environment.database.url,
      REDIS_URL: TEST_REDIS_URL,
      AUDIT_RETENTION_DAYS: '30',
    };
    const [{ id: keptEventId }] = await environment.database
      .query<{ id: string }>(
        `INSERT INTO auth_events (user_id, type, created_at)
       VALUES ($1, 'logout', now() - interval '31 days'), ($1, 'logout', now() - interval '29 days')
       RETURNING id`,
        [seeded.userId],
      )
      .then((rows) => rows.slice(1));

    const holder = new pg.Client({ connectionString: environment.database.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [PURGE_LOCK_KEY]);
      expect(await runPurgeCli(env)).toEqual({
        code: 0,
        output: 'Another purge is running; nothing to do.\n',
      });
    } finally {
      await holder.end();
    }
    const sessionsLeft = await environment.database.query(
      'SELECT 1 FROM sessions WHERE user_id = $1',
      [seeded.userId],
    );
    expect(sessionsLeft).toHaveLength(Object.keys(seeded.sessions).length);

    expect(await runPurgeCli(env)).toEqual({
      code: 0,
      output:
        'Purged 3 sessions, 1 used refresh tokens, 1 tombstones, 1 auth events, 1 link tokens, 2 mails.\n',
    });
    await expectPurged(environment, seeded);
    // AUDIT_RETENTION_DAYS reached the CLI: the 31-day-old event went, the 29-day-old one stayed.
    const eventsLeft = await environment.database.query<{ id: string }>(
      'SELECT id FROM auth_events WHERE user_id = $1',
      [seeded.userId],
    );
    expect(eventsLeft.map((row) => row.id)).toEqual([keptEventId]);
  });

  it('refuses the embedded database in production from the CLI', async () => {
    const run = await runPurgeCli({ NODE_ENV: 'production' });
    expect(run).toEqual({ code: 1, output: expect.stringContaining('DATABASE_URL is required') });
    expect(run.output).not.toContain('JWT_PRIVATE_KEY');
  });
});
