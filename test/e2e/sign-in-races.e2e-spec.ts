import { beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import request from 'supertest';
import { AdminBootstrap } from '../../src/auth/admin-bootstrap.js';
import {
  buildUser,
  createSignedInUser,
  login,
  registerUser,
  type SignedInUser,
  type TokenPair,
} from '../factories/user.factory.js';
import { createSignedInAdmin } from '../support/admin.js';
import { decodeJwt } from '../support/jwt.js';
import { race } from '../support/race.js';
import { useTestApp } from '../support/test-app.js';
import { waitUntil } from '../support/wait.js';

// On the code before the credentials version, 8 rounds of 40 sign-ins racing one password change
// left 10 working sessions out of 320; these counts make a miss vanishingly unlikely.
const PASSWORD_ROUNDS = 200;
const DISABLE_ROUNDS = 100;
const DEMOTION_ROUNDS = 100;
const PROMOTION_ROUNDS = 50;
const SIGN_INS_PER_ROUND = 4;
const RACE_TIMEOUT_MS = 15 * 60_000;

type Response = request.Response;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const codeOf = (response: Response): string | undefined =>
  (response.body as { code?: string }).code;

const rolesOf = (pair: TokenPair): string[] =>
  decodeJwt(pair.accessToken).payload.roles as string[];

describe('a sign-in or refresh racing a credentials change', () => {
  const service = useTestApp({
    // Every round signs in with a password that a racing change may just have replaced.
    RATE_LIMIT_LOGIN_FAILURES: '1000000',
    RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: '1000000',
    // The admin's and the owner's tokens serve the whole file.
    ACCESS_TOKEN_TTL: '3600',
  });
  const api = () => request(service.server);
  let admin: SignedInUser;
  // About three sign-ins long: the racers land on every side of the change's commit.
  let spreadMs: number;

  beforeAll(async () => {
    admin = await createSignedInAdmin(service);
    const user = await registerUser(service.server);
    const durations: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const started = Date.now();
      await login(service.server, user.email, user.password);
      durations.push(Date.now() - started);
    }
    spreadMs = Math.max(30, 3 * Math.min(...durations));
  });

  const signIn = (email: string, password: string) => () =>
    api().post('/api/v1/auth/login').send({ email, password });
  const refresh = (refreshToken: string) =>
    api().post('/api/v1/auth/refresh').send({ refreshToken });
  const adminPatch = (id: string, body: object) => () =>
    api().patch(`/api/v1/users/${id}`).set('Authorization', admin.bearer).send(body);

  /** The token pairs among `responses` (200s); every other answer must be one of `refusals`. */
  function pairsOf(responses: Response[], refusals: Array<[number, string]>): TokenPair[] {
    const refused = responses.filter((response) => response.status !== 200);
    const unexpected = refused.filter(
      (response) =>
        !refusals.some(([status, code]) => response.status === status && codeOf(response) === code),
    );
    expect(unexpected.map((response) => [response.status, codeOf(response)])).toEqual([]);
    return responses
      .filter((response) => response.status === 200)
      .map((response) => response.body as TokenPair);
  }

  /** Which of these sessions still work: their refresh token, or their access token. */
  async function stillWorking(round: number, pairs: TokenPair[]): Promise<string[]> {
    const working: string[] = [];
    for (const pair of pairs) {
      const me = await api()
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${pair.accessToken}`);
      const refreshed = await refresh(pair.refreshToken);
      if (me.status !== 401) working.push(`round ${round}: access token answered ${me.status}`);
      if (refreshed.status !== 401) {
        working.push(`round ${round}: refresh token answered ${refreshed.status}`);
      }
    }
    return working;
  }

  it(
    `leaves no working session from ${PASSWORD_ROUNDS} rounds of sign-ins and a refresh racing a password change`,
    async () => {
      const owner = await createSignedInUser(service.server);
      let password = owner.password;
      let signedIn = 0;
      const survivors: string[] = [];
      for (let round = 0; round < PASSWORD_ROUNDS; round += 1) {
        const next = `${owner.password}-${round}`;
        const earlier = await login(service.server, owner.email, password);
        const [changed, refreshed, ...signIns] = (await race(
          [
            () =>
              api()
                .post('/api/v1/auth/password')
                .set('Authorization', owner.bearer)
                .send({ currentPassword: password, newPassword: next }),
            () => refresh(earlier.refreshToken),
            ...Array.from({ length: SIGN_INS_PER_ROUND }, () => signIn(owner.email, password)),
          ],
          spreadMs,
        )) as Response[];
        expect(changed.status).toBe(204);
        password = next;
        const pairs = [
          ...pairsOf(signIns, [
            [401, 'AUTH_INVALID_CREDENTIALS'],
            [401, 'AUTH_CREDENTIALS_CHANGED'],
          ]),
          ...pairsOf([refreshed], [[401, 'AUTH_REFRESH_INVALID']]),
          earlier,
        ];
        signedIn += pairs.length;
        survivors.push(...(await stillWorking(round, pairs)));
      }
      expect({ signedIn, survivors }).toEqual({ signedIn: expect.any(Number), survivors: [] });
      // The session that changed the password goes on under the new one.
      await api().get('/api/v1/users/me').set('Authorization', owner.bearer).expect(200);
      expect((await refresh(owner.tokens.refreshToken)).status).toBe(200);
    },
    RACE_TIMEOUT_MS,
  );

  it(
    `leaves no working session from ${DISABLE_ROUNDS} rounds of sign-ins racing an admin disabling the account`,
    async () => {
      const user = await registerUser(service.server);
      const survivors: string[] = [];
      for (let round = 0; round < DISABLE_ROUNDS; round += 1) {
        const [disabled, ...signIns] = (await race(
          [
            adminPatch(user.id, { status: 'disabled' }),
            ...Array.from({ length: SIGN_INS_PER_ROUND }, () => signIn(user.email, user.password)),
          ],
          spreadMs,
        )) as Response[];
        expect(disabled.status).toBe(200);
        const pairs = pairsOf(signIns, [
          [403, 'AUTH_ACCOUNT_DISABLED'],
          [401, 'AUTH_CREDENTIALS_CHANGED'],
        ]);
        survivors.push(...(await stillWorking(round, pairs)));
        await adminPatch(user.id, { status: 'active' })().expect(200);
      }
      expect(survivors).toEqual([]);
    },
    RACE_TIMEOUT_MS,
  );

  it(
    `leaves no working admin session from ${DEMOTION_ROUNDS} rounds of sign-ins racing a demotion`,
    async () => {
      const user = await registerUser(service.server);
      const survivors: string[] = [];
      for (let round = 0; round < DEMOTION_ROUNDS; round += 1) {
        await adminPatch(user.id, { roles: ['user', 'admin'] })().expect(200);
        const [demoted, ...signIns] = (await race(
          [
            adminPatch(user.id, { roles: ['user'] }),
            ...Array.from({ length: SIGN_INS_PER_ROUND }, () => signIn(user.email, user.password)),
          ],
          spreadMs,
        )) as Response[];
        expect(demoted.status).toBe(200);
        const pairs = pairsOf(signIns, [[401, 'AUTH_CREDENTIALS_CHANGED']]);
        // A sign-in that read the account after the demotion rightly works, as a plain user.
        const asAdmin = pairs.filter((pair) => rolesOf(pair).includes('admin'));
        survivors.push(...(await stillWorking(round, asAdmin)));
      }
      expect(survivors).toEqual([]);
    },
    RACE_TIMEOUT_MS,
  );

  it(
    `leaves no working session from ${PROMOTION_ROUNDS} rounds of sign-ins with the old password racing an ADMIN_EMAIL promotion`,
    async () => {
      const bootstrap = service.app.get(AdminBootstrap);
      const survivors: string[] = [];
      for (let round = 0; round < PROMOTION_ROUNDS; round += 1) {
        // Whoever registered the admin address first signs in while the operator promotes it.
        const squatter = await registerUser(service.server);
        const operatorPassword = buildUser().password;
        const [promoted, ...signIns] = await race<unknown>(
          [
            () => bootstrap.ensureAdmin(squatter.email, operatorPassword),
            ...Array.from({ length: SIGN_INS_PER_ROUND }, () =>
              signIn(squatter.email, squatter.password),
            ),
          ],
          spreadMs,
        );
        expect(promoted).toBe('promoted');
        const pairs = pairsOf(signIns as Response[], [
          [401, 'AUTH_INVALID_CREDENTIALS'],
          [401, 'AUTH_CREDENTIALS_CHANGED'],
        ]);
        survivors.push(...(await stillWorking(round, pairs)));
      }
      expect(survivors).toEqual([]);
    },
    RACE_TIMEOUT_MS,
  );

  it('makes a sign-in wait for a credentials change in flight, then answers 401 AUTH_CREDENTIALS_CHANGED', async () => {
    const user = await registerUser(service.server);
    // The change has written the row but not committed: the sign-in reads the old version and
    // checks the password; its insert must wait for the change, then see it.
    const response = await whileChangeInFlight(user.id, 'INSERT INTO sessions', () =>
      signIn(user.email, user.password)().then((r) => r),
    );
    expect({ status: response.status, code: codeOf(response) }).toEqual({
      status: 401,
      code: 'AUTH_CREDENTIALS_CHANGED',
    });
    expect(response.headers['www-authenticate']).toBeDefined();
    const rows = await service.environment.database.query(
      'SELECT 1 FROM sessions WHERE user_id = $1',
      [user.id],
    );
    expect(rows).toEqual([]);
  });

  /** Runs `work` while another transaction holds an uncommitted credentials change of `userId`. */
  async function whileChangeInFlight<T>(
    userId: string,
    blockedStatement: string,
    work: () => Promise<T>,
  ): Promise<T> {
    const change = new pg.Client({ connectionString: service.environment.database.url });
    await change.connect();
    try {
      await change.query('BEGIN');
      await change.query(
        'UPDATE users SET credentials_version = credentials_version + 1 WHERE id = $1',
        [userId],
      );
      const pending = work();
      const settled = pending.then(() => true);
      await waitUntil(`"${blockedStatement}" to wait for the credentials change`, async () => {
        if (await Promise.race([settled, sleep(0).then(() => false)])) {
          throw new Error('it did not wait for the credentials change');
        }
        const waiting = await service.environment.database.query(
          `SELECT 1 FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`,
          [`%${blockedStatement}%`],
        );
        return waiting.length > 0;
      });
      await change.query('COMMIT');
      return await pending;
    } finally {
      await change.query('ROLLBACK').catch(() => {});
      await change.end();
    }
  }

  it('refuses a password change whose current-password check an admin reset overtook (401 AUTH_CREDENTIALS_CHANGED)', async () => {
    const user = await createSignedInUser(service.server);
    const changed = await whileChangeInFlight(user.id, 'UPDATE "users"', () =>
      api()
        .post('/api/v1/auth/password')
        .set('Authorization', user.bearer)
        .send({ currentPassword: user.password, newPassword: `${user.password}-new` })
        .then((response) => response),
    );
    expect({ status: changed.status, code: codeOf(changed) }).toEqual({
      status: 401,
      code: 'AUTH_CREDENTIALS_CHANGED',
    });
    // The password the change was overtaken by stays: the requested one was not written.
    await signIn(user.email, `${user.password}-new`)().expect(401);
  });

  it.each([
    ['a promotion', ['user'], ['user', 'admin']],
    ['a demotion', ['user', 'admin'], ['user']],
  ])(
    'ends every session at once on %s; the next sign-in carries the new roles',
    async (_case, from, to) => {
      const user = await registerUser(service.server);
      await adminPatch(user.id, { roles: from })().expect(200);
      const session = await login(service.server, user.email, user.password);
      await adminPatch(user.id, { roles: to })().expect(200);
      expect(await stillWorking(0, [session])).toEqual([]);
      const again = await login(service.server, user.email, user.password);
      expect(rolesOf(again).sort()).toEqual([...to].sort());
    },
  );

  it('keeps the sessions when an admin change leaves password, status and roles as they were', async () => {
    const user = await createSignedInUser(service.server);
    await adminPatch(user.id, { roles: ['user', 'admin'] })().expect(200);
    const session = await login(service.server, user.email, user.password);
    const [before] = await service.environment.database.query<{ credentials_version: number }>(
      'SELECT credentials_version FROM users WHERE id = $1',
      [user.id],
    );
    await adminPatch(user.id, {
      displayName: 'Renamed',
      roles: ['admin', 'user'],
      status: 'active',
    })().expect(200);
    const [after] = await service.environment.database.query<{ credentials_version: number }>(
      'SELECT credentials_version FROM users WHERE id = $1',
      [user.id],
    );
    expect(after.credentials_version).toBe(before.credentials_version);
    await api()
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${session.accessToken}`)
      .expect(200);
    expect((await refresh(session.refreshToken)).status).toBe(200);
  });
});
