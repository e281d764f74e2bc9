import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import request from 'supertest';
import { UsersRepository } from '../../src/users/users.repository.js';
import { buildUser, type TokenPair } from '../factories/user.factory.js';
import { expectProblem } from '../support/problem.js';
import { race } from '../support/race.js';
import { useTestApp, type RunningApp, type TestApp } from '../support/test-app.js';

// N parallel clients, over many rounds: a race that is lost one time in a hundred shows up.
const CLIENTS = 12;
const REGISTER_ROUNDS = 30;
const IF_MATCH_ROUNDS = 40;
const REFRESH_ROUNDS = 30;
const LOGOUT_ROUNDS = 40;
const CACHE_MISS_ROUNDS = 30;
const REPLICA_ROUNDS = 40;
const WRITES_PER_REPLICA_ROUND = 8;
// Short, so that reuse after the window is tested without a long wait; a round's concurrent
// refreshes take well under a second here.
const GRACE_S = 3;
const SUITE_TIMEOUT_MS = 10 * 60_000;

type Response = request.Response;

const codeOf = (response: Response): string | undefined =>
  (response.body as { code?: string }).code;
const statusesOf = (responses: Response[]) => responses.map((response) => response.status).sort();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A replica as the clients see it: its base URL, reached over kept-alive connections. */
interface Replica {
  name: string;
  app: RunningApp;
  url: string;
}

/**
 * The races the API allows, each over many rounds of CLIENTS parallel clients on two replicas of
 * one deployment (same PostgreSQL database, same Redis key space).
 */
describe('concurrency', () => {
  const env = {
    REFRESH_REUSE_GRACE_S: String(GRACE_S),
    RATE_LIMIT_LOGIN_FAILURES: '1000000',
    RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: '1000000',
    ACCESS_TOKEN_TTL: '3600',
  };
  const service = useTestApp(env);
  const agent = new Agent({ keepAlive: true });
  let a: Replica;
  let b: Replica;

  async function listen(name: string, app: TestApp | RunningApp): Promise<Replica> {
    await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
    const { port } = app.server.address() as AddressInfo;
    return { name, app, url: `http://127.0.0.1:${port}` };
  }

  beforeAll(async () => {
    a = await listen('A', service);
    b = await listen('B', await service.environment.startApp(env));
  });

  afterAll(() => {
    agent.destroy();
  });

  const http = (replica: Replica) => ({
    get: (path: string) => request(replica.url).get(path).agent(agent),
    post: (path: string) => request(replica.url).post(path).agent(agent),
    patch: (path: string) => request(replica.url).patch(path).agent(agent),
  });
  const both = () => [a, b];
  /** Client `i`'s replica: the clients alternate between A and B. */
  const replicaOf = (i: number) => both()[i % 2];

  const register = (replica: Replica, email: string, password = 'Tr0ub4dor-and-staple') =>
    http(replica).post('/api/v1/auth/register').send({ email, password });
  const login = async (replica: Replica, email: string, password: string): Promise<TokenPair> => {
    const response = await http(replica).post('/api/v1/auth/login').send({ email, password });
    expect(response.status).toBe(200);
    return response.body as TokenPair;
  };
  const refresh = (replica: Replica, refreshToken: string) =>
    http(replica).post('/api/v1/auth/refresh').send({ refreshToken });
  const me = (replica: Replica, accessToken: string) =>
    http(replica).get('/api/v1/users/me').set('Authorization', `Bearer ${accessToken}`);
  const patchMe = (replica: Replica, accessToken: string, body: object, ifMatch?: string) => {
    const call = http(replica)
      .patch('/api/v1/users/me')
      .set('Authorization', `Bearer ${accessToken}`);
    if (ifMatch !== undefined) call.set('If-Match', ifMatch);
    return call.send(body);
  };

  async function signedInUser(): Promise<{ email: string; password: string; tokens: TokenPair }> {
    const user = buildUser();
    expect((await register(a, user.email, user.password)).status).toBe(201);
    return { ...user, tokens: await login(a, user.email, user.password) };
  }

  it(
    'registers one email raced by CLIENTS clients exactly once, every round (the rest 409 USERS_EMAIL_TAKEN)',
    async () => {
      // One address in forms that normalize alike (case, spaces, a full-width letter).
      const variants = (local: string) => [
        `${local}@example.com`,
        `${local.toUpperCase()}@EXAMPLE.COM`,
        ` ${local}@example.com `,
        `${local}@Example.Com`,
        `\uFF52${local.slice(1)}@example.com`,
        `R${local.slice(1)}@example.com`,
      ];
      for (let round = 0; round < REGISTER_ROUNDS; round += 1) {
        const local = `race-${round}-${randomBytes(4).toString('hex')}`;
        const emails = variants(local);
        const responses = await race(
          Array.from(
            { length: CLIENTS },
            (_, i) => () => register(replicaOf(i), emails[i % emails.length]),
          ),
        );
        expect({ round, statuses: statusesOf(responses) }).toEqual({
          round,
          statuses: [201, ...Array<number>(CLIENTS - 1).fill(409)],
        });
        for (const refused of responses.filter((response) => response.status === 409)) {
          expectProblem(refused, 409, 'USERS_EMAIL_TAKEN');
        }
        const created = responses.find((response) => response.status === 201);
        expect((created?.body as { email: string }).email).toBe(`${local}@example.com`);
      }
      console.info(`concurrency: ${REGISTER_ROUNDS} rounds of ${CLIENTS} registrations`);
    },
    SUITE_TIMEOUT_MS,
  );

  it(
    'applies exactly one of CLIENTS PATCH /users/me with the same If-Match, the rest 412, every round',
    async () => {
      const user = await signedInUser();
      const token = user.tokens.accessToken;
      for (let round = 0; round < IF_MATCH_ROUNDS; round += 1) {
        const reader = replicaOf(round);
        const etag = (await me(reader, token).expect(200)).headers.etag;
        const responses = await race(
          Array.from(
            { length: CLIENTS },
            (_, i) => () =>
              patchMe(
                replicaOf(i + round),
                token,
                { displayName: `round ${round} client ${i}` },
                etag,
              ),
          ),
        );
        expect({ round, statuses: statusesOf(responses) }).toEqual({
          round,
          statuses: [200, ...Array<number>(CLIENTS - 1).fill(412)],
        });
        for (const refused of responses.filter((response) => response.status === 412)) {
          expectProblem(refused, 412, 'PRECONDITION_FAILED');
        }
        const winner = responses.find((response) => response.status === 200) as Response;
        expect(winner.headers.etag).not.toBe(etag);
        // Both replicas read the winner's value and version from now on.
        for (const replica of both()) {
          const read = await me(replica, token).expect(200);
          expect({ body: read.body as object, etag: read.headers.etag }).toEqual({
            body: winner.body as object,
            etag: winner.headers.etag,
          });
        }
      }
      console.info(`concurrency: ${IF_MATCH_ROUNDS} rounds of ${CLIENTS} conditional PATCHes`);
    },
    SUITE_TIMEOUT_MS,
  );

  it(
    'rotates a refresh token presented by CLIENTS clients once and hands all the same pair; after the grace window its reuse revokes the session',
    async () => {
      const rounds: Array<{ presented: string; pair: TokenPair }> = [];
      for (let round = 0; round < REFRESH_ROUNDS; round += 1) {
        const { tokens } = await signedInUser();
        const responses = await race(
          Array.from(
            { length: CLIENTS },
            (_, i) => () => refresh(replicaOf(i), tokens.refreshToken),
          ),
        );
        expect({ round, statuses: statusesOf(responses) }).toEqual({
          round,
          statuses: Array<number>(CLIENTS).fill(200),
        });
        const pair = responses[0].body as TokenPair;
        for (const response of responses) expect(response.body).toEqual(pair);
        expect(pair.refreshToken).not.toBe(tokens.refreshToken);
        // One rotation: the session is still one, and it works on both replicas.
        const sessions = await http(b)
          .get('/api/v1/auth/sessions')
          .set('Authorization', `Bearer ${pair.accessToken}`)
          .expect(200);
        expect(sessions.body).toHaveLength(1);
        rounds.push({ presented: tokens.refreshToken, pair });
      }

      await sleep(GRACE_S * 1000 + 500);
      for (const [round, { presented, pair }] of rounds.entries()) {
        const reused = await refresh(replicaOf(round), presented);
        expect({ round, status: reused.status, code: codeOf(reused) }).toEqual({
          round,
          status: 401,
          code: 'AUTH_REFRESH_REUSED',
        });
        for (const replica of both()) {
          expect({
            round,
            replica: replica.name,
            me: (await me(replica, pair.accessToken)).status,
          }).toEqual({ round, replica: replica.name, me: 401 });
        }
        expect({
          round,
          refresh: (await refresh(replicaOf(round + 1), pair.refreshToken)).status,
        }).toEqual({ round, refresh: 401 });
      }
      console.info(`concurrency: ${REFRESH_ROUNDS} rounds of ${CLIENTS} concurrent refreshes`);
    },
    SUITE_TIMEOUT_MS,
  );

  it(
    'leaves no working token when a logout races refreshes of the same session, every round',
    async () => {
      const refreshers = CLIENTS - 1;
      let refreshedBeforeLogout = 0;
      for (let round = 0; round < LOGOUT_ROUNDS; round += 1) {
        const { tokens } = await signedInUser();
        // Spread over a few milliseconds: the logout lands before, between and after rotations.
        const responses = await race(
          [
            () =>
              http(replicaOf(round))
                .post('/api/v1/auth/logout')
                .set('Authorization', `Bearer ${tokens.accessToken}`),
            ...Array.from(
              { length: refreshers },
              (_, i) => () => refresh(replicaOf(round + i + 1), tokens.refreshToken),
            ),
          ],
          20,
        );
        const [logout, ...refreshes] = responses;
        expect({ round, logout: logout.status }).toEqual({ round, logout: 204 });
        const unexpected = refreshes.filter(
          (response) => response.status !== 200 && response.status !== 401,
        );
        expect(unexpected.map((response) => [response.status, codeOf(response)])).toEqual([]);
        const pairs = refreshes
          .filter((response) => response.status === 200)
          .map((response) => response.body as TokenPair);
        if (pairs.length > 0) refreshedBeforeLogout += 1;

        const working: string[] = [];
        for (const pair of [tokens, ...pairs]) {
          for (const replica of both()) {
            const read = await me(replica, pair.accessToken);
            if (read.status !== 401) {
              working.push(`access token on ${replica.name}: ${read.status}`);
            }
          }
        }
        for (const pair of [tokens, ...pairs]) {
          const refreshed = await refresh(replicaOf(round), pair.refreshToken);
          if (refreshed.status !== 401) working.push(`refresh token: ${refreshed.status}`);
        }
        expect({ round, working }).toEqual({ round, working: [] });
      }
      console.info(
        `concurrency: ${LOGOUT_ROUNDS} rounds of a logout racing ${refreshers} refreshes ` +
          `(${refreshedBeforeLogout} with a rotation before the logout)`,
      );
    },
    SUITE_TIMEOUT_MS,
  );

  it(
    'reads the database once per replica when CLIENTS requests per replica miss one cache key together',
    async () => {
      const user = await signedInUser();
      const token = user.tokens.accessToken;
      // Counts the reads and lets them through: this is the production repository.
      const reads = both().map((replica) =>
        jest.spyOn(replica.app.app.get(UsersRepository), 'findById'),
      );
      let totalReads = 0;
      try {
        for (let round = 0; round < CACHE_MISS_ROUNDS; round += 1) {
          const name = `cache round ${round}`;
          // An acknowledged write: every replica's next read of this user misses.
          await patchMe(replicaOf(round), token, { displayName: name }).expect(200);
          for (const spy of reads) spy.mockClear();
          const responses = await race(
            Array.from({ length: 2 * CLIENTS }, (_, i) => () => me(replicaOf(i), token)),
          );
          for (const response of responses) {
            const { displayName } = response.body as { displayName?: unknown };
            expect({ round, status: response.status, name: displayName }).toEqual({
              round,
              status: 200,
              name,
            });
          }
          const perReplica = reads.map((spy) => spy.mock.calls.length);
          // Received shows the counts; expected caps them at one.
          expect({ round, readsPerReplica: perReplica }).toEqual({
            round,
            readsPerReplica: perReplica.map((count) => Math.min(count, 1)),
          });
          totalReads += perReplica[0] + perReplica[1];
        }
      } finally {
        for (const spy of reads) spy.mockRestore();
      }
      // Every round missed on at least one replica (the write changed the versions).
      expect(totalReads).toBeGreaterThanOrEqual(CACHE_MISS_ROUNDS);
      console.info(
        `concurrency: ${CACHE_MISS_ROUNDS} rounds of ${CLIENTS} misses per replica, ` +
          `${totalReads} database reads in all`,
      );
    },
    SUITE_TIMEOUT_MS,
  );

  it(
    'never serves on either replica a value older than a write acknowledged before the read began',
    async () => {
      const user = await signedInUser();
      const token = user.tokens.accessToken;
      const stale: string[] = [];
      let reads = 0;
      for (let round = 0; round < REPLICA_ROUNDS; round += 1) {
        // Writes alternate between A and B; readers on both replicas run meanwhile.
        const writer = replicaOf(round);
        let acknowledged = -1;
        let writing = true;
        const writes = (async () => {
          for (let n = 0; n < WRITES_PER_REPLICA_ROUND; n += 1) {
            const sequence = round * WRITES_PER_REPLICA_ROUND + n;
            await patchMe(writer, token, { displayName: `v${sequence}` }).expect(200);
            acknowledged = sequence;
          }
          writing = false;
        })();
        const readers = Array.from({ length: CLIENTS }, async (_, i) => {
          while (writing) {
            const floor = acknowledged;
            const read = await me(replicaOf(i), token);
            reads += 1;
            // The name it had before the first write counts as -1.
            const name = String((read.body as { displayName?: unknown }).displayName);
            const seen = Number(/^v(\d+)$/.exec(name)?.[1] ?? -1);
            if (read.status !== 200 || seen < floor) {
              stale.push(`round ${round}, ${replicaOf(i).name}: read v${seen} after v${floor}`);
            }
          }
        });
        await Promise.all([writes, ...readers]);
        if (stale.length > 0) break;
      }
      expect(stale).toEqual([]);
      console.info(
        `concurrency: ${REPLICA_ROUNDS} rounds of ${WRITES_PER_REPLICA_ROUND} writes racing ` +
          `${CLIENTS} readers on two replicas, ${reads} reads`,
      );
    },
    SUITE_TIMEOUT_MS,
  );
});
