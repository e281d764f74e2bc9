import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import request from 'supertest';
import { createSignedInUser, type SignedInUser } from '../factories/user.factory.js';
import { createSignedInAdmin } from '../support/admin.js';
import { useTestApp } from '../support/test-app.js';
import { expectProblem, usersApi } from '../support/users-api.js';
import { waitUntil } from '../support/wait.js';

describe('users', () => {
  const service = useTestApp();
  let admin: SignedInUser;

  beforeAll(async () => {
    admin = await createSignedInAdmin(service);
  });

  const { api, rowOf, getMe, adminPatch, walkPages } = usersApi(service, () => admin);

  describe('the last active admin', () => {
    /** Disables every other active admin, so `admin` is the only one left. */
    async function makeSoleActiveAdmin(): Promise<void> {
      const { users } = await walkPages({ role: 'admin', status: 'active', limit: 100 });
      for (const other of users.filter((user) => user.id !== admin.id)) {
        await adminPatch(other.id, { status: 'disabled' }).expect(200);
      }
      const rows = await service.environment.database.query<{ id: string }>(
        `SELECT id FROM users WHERE 'admin' = ANY(roles) AND status = 'active'`,
      );
      expect(rows.map((row) => row.id)).toEqual([admin.id]);
    }

    it('cannot delete themselves (409 USERS_LAST_ADMIN) and stays signed in', async () => {
      await makeSoleActiveAdmin();
      const response = await api()
        .delete('/api/v1/users/me')
        .set('Authorization', admin.bearer)
        .send({ password: admin.password });
      expectProblem(response, 409, 'USERS_LAST_ADMIN');
      const byId = await api()
        .delete(`/api/v1/users/${admin.id}`)
        .set('Authorization', admin.bearer);
      expectProblem(byId, 409, 'USERS_LAST_ADMIN');
      expect(await rowOf(admin.id)).toMatchObject({ status: 'active' });
      expect((await getMe(admin)).status).toBe(200);
    });

    it('cannot be demoted or disabled (409 USERS_LAST_ADMIN) and nothing changes', async () => {
      await makeSoleActiveAdmin();
      const before = await rowOf(admin.id);
      expectProblem(await adminPatch(admin.id, { roles: ['user'] }), 409, 'USERS_LAST_ADMIN');
      expectProblem(await adminPatch(admin.id, { status: 'disabled' }), 409, 'USERS_LAST_ADMIN');
      expect(await rowOf(admin.id)).toEqual(before);
      expect(before).toMatchObject({ roles: expect.arrayContaining(['admin']), status: 'active' });
      await api().get('/api/v1/users').set('Authorization', admin.bearer).expect(200);
    });

    it('no longer blocks a demotion once a second active admin exists', async () => {
      await makeSoleActiveAdmin();
      const successor = await createSignedInAdmin(service);
      const demoted = await api()
        .patch(`/api/v1/users/${successor.id}`)
        .set('Authorization', admin.bearer)
        .send({ roles: ['user'] });
      expect(demoted.status).toBe(200);
      expect(demoted.body.roles).toEqual(['user']);
    });
  });
});

// Each round signs in fresh admins (argon2) and checks every token: about 20 s alone on an idle
// 2-core machine, several times that beside the rest of the suite: more than the default minute.
const ROUNDS_TIMEOUT_MS = 240_000;

describe('the admin set under concurrency', () => {
  let client: pg.Client | undefined;
  // Registered before useTestApp(): jest runs afterAll hooks in order, and the environment's hook
  // drops the database, which would cut this connection.
  afterAll(async () => {
    await client?.end();
  });
  const service = useTestApp();
  const api = () => request(service.server);

  /** One connection for the whole block: a round makes several reads. */
  const database = () => ({
    url: service.environment.database.url,
    async query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
      if (!client) {
        client = new pg.Client({ connectionString: service.environment.database.url });
        await client.connect();
      }
      return (await client.query<T>(sql, params)).rows;
    },
  });

  async function activeAdminIds(): Promise<string[]> {
    const rows = await database().query<{ id: string }>(
      `SELECT id FROM users WHERE 'admin' = ANY(roles) AND status = 'active'`,
    );
    return rows.map((row) => row.id);
  }

  /** Two fresh admins, signed in, and no other active admin. */
  async function onlyAdmins(count: number): Promise<SignedInUser[]> {
    const admins: SignedInUser[] = [];
    for (let i = 0; i < count; i += 1) admins.push(await createSignedInAdmin(service));
    await database().query(
      `UPDATE users SET status = 'disabled' WHERE 'admin' = ANY(roles) AND NOT (id = ANY($1))`,
      [admins.map((admin) => admin.id)],
    );
    expect((await activeAdminIds()).sort()).toEqual(admins.map((admin) => admin.id).sort());
    return admins;
  }

  async function stateOf(id: string): Promise<'admin' | 'not_admin' | 'deleted'> {
    const rows = await database().query<{ roles: string[]; status: string }>(
      'SELECT roles, status FROM users WHERE id = $1',
      [id],
    );
    if (rows.length === 0) return 'deleted';
    return rows[0].status === 'active' && rows[0].roles.includes('admin') ? 'admin' : 'not_admin';
  }

  /** Both of the user's credentials from before the round are refused now. */
  async function expectSignedOut(user: SignedInUser, round: string): Promise<void> {
    const me = await api().get('/api/v1/users/me').set('Authorization', user.bearer);
    const refresh = await api()
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: user.tokens.refreshToken });
    expect({ round, me: me.status, refresh: refresh.status }).toEqual({
      round,
      me: 401,
      refresh: 401,
    });
  }

  type Action = 'demote' | 'disable' | 'delete';
  const ACTIONS: Action[] = ['demote', 'disable', 'delete'];

  function act(actor: SignedInUser, action: Action, target: SignedInUser) {
    const path = `/api/v1/users/${target.id}`;
    switch (action) {
      case 'demote':
        return api()
          .patch(path)
          .set('Authorization', actor.bearer)
          .send({ roles: ['user'] });
      case 'disable':
        return api().patch(path).set('Authorization', actor.bearer).send({ status: 'disabled' });
      case 'delete':
        return api().delete(path).set('Authorization', actor.bearer);
    }
  }

  it(
    'two admins demoting, disabling or deleting each other at once always leave one, 54 rounds',
    async () => {
      for (let round = 0; round < 54; round += 1) {
        const [a, b] = await onlyAdmins(2);
        const actionOfA = ACTIONS[round % 3];
        const actionOfB = ACTIONS[Math.floor(round / 3) % 3];
        const name = `${round}: A ${actionOfA}s B, B ${actionOfB}s A`;

        const answers = await Promise.all([act(a, actionOfA, b), act(b, actionOfB, a)]);

        const statuses = answers.map((answer) => answer.status);
        expect({ name, statuses: statuses.every((status) => status < 500) }).toEqual({
          name,
          statuses: true,
        });
        expect({ name, remaining: (await activeAdminIds()).length }).toEqual({
          name,
          remaining: 1,
        });
        for (const admin of [a, b]) {
          if ((await stateOf(admin.id)) !== 'admin') await expectSignedOut(admin, name);
        }
      }
    },
    ROUNDS_TIMEOUT_MS,
  );

  it(
    'promotion racing demotion and deletion never leaves no admin nor a demoted user signed in, 50 rounds',
    async () => {
      for (let round = 0; round < 50; round += 1) {
        const [admin] = await onlyAdmins(1);
        const member = await createSignedInUser(service.server);
        const name = `round ${round}`;
        const promote = () =>
          api()
            .patch(`/api/v1/users/${member.id}`)
            .set('Authorization', admin.bearer)
            .send({ roles: ['user', 'admin'] });
        const demote = () =>
          api()
            .patch(`/api/v1/users/${member.id}`)
            .set('Authorization', admin.bearer)
            .send({ roles: ['user'] });
        const removeAdmin = () =>
          api().delete(`/api/v1/users/${admin.id}`).set('Authorization', admin.bearer);
        const removeMember = () =>
          api().delete(`/api/v1/users/${member.id}`).set('Authorization', admin.bearer);

        // Odd rounds: the promoted member is deleted instead of demoted.
        const [promoted, ...others] = await Promise.all(
          round % 2 === 0 ? [promote(), demote(), removeAdmin()] : [promote(), removeMember()],
        );

        expect({ name, statuses: [promoted, ...others].every((r) => r.status < 500) }).toEqual({
          name,
          statuses: true,
        });
        expect({ name, remaining: (await activeAdminIds()).length >= 1 }).toEqual({
          name,
          remaining: true,
        });
        if ((await stateOf(admin.id)) === 'deleted') await expectSignedOut(admin, `${name} admin`);
        const memberState = await stateOf(member.id);
        // Promoted and then not an admin: demoted or deleted after the promotion, so signed out.
        if (memberState === 'deleted' || (promoted.status === 200 && memberState !== 'admin')) {
          await expectSignedOut(member, `${name} member`);
        }
      }
    },
    ROUNDS_TIMEOUT_MS,
  );

  describe('a write that waited for another transaction on its row', () => {
    /** Runs `change` in a transaction holding the row of `userId` until `release` is called. */
    async function holdRow(userId: string, change: string) {
      const holder = new pg.Client({ connectionString: database().url });
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query(change, [userId]);
      return {
        client: holder,
        async commit(): Promise<void> {
          await holder.query('COMMIT');
          await holder.end();
        },
      };
    }

    const isWaitingOnLock = async (): Promise<boolean> => {
      const rows = await database().query<{ waiting: string }>(
        `SELECT count(*) AS waiting FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      return Number(rows[0].waiting) > 0;
    };

    /**
     * One admin demotes a member whose promotion to admin a test transaction holds uncommitted;
     * returns once the demotion waits for that row.
     */
    async function demotionWaitingOnPromotion() {
      const [admin] = await onlyAdmins(1);
      const member = await createSignedInUser(service.server);
      const promotion = await holdRow(
        member.id,
        `UPDATE users SET roles = '{user,admin}' WHERE id = $1`,
      );
      const demotion = api()
        .patch(`/api/v1/users/${member.id}`)
        .set('Authorization', admin.bearer)
        .send({ roles: ['user'] })
        .then((response) => response);
      await waitUntil('the demotion to wait for the row', isWaitingOnLock);
      return { admin, member, promotion, demotion };
    }

    it('is decided on the row as committed: demoting a just-promoted last admin is refused', async () => {
      const { admin, member, promotion, demotion } = await demotionWaitingOnPromotion();
      // The other admin steps down in the same transaction, so the member is the last admin.
      await promotion.client.query(`UPDATE users SET roles = '{user}' WHERE id = $1`, [admin.id]);
      await promotion.commit();

      expectProblem(await demotion, 409, 'USERS_LAST_ADMIN');
      expect(await activeAdminIds()).toEqual([member.id]);
    });

    it('ends the sessions of a user promoted while the demotion waited', async () => {
      const { member, promotion, demotion } = await demotionWaitingOnPromotion();
      await promotion.commit();

      expect((await demotion).status).toBe(200);
      expect(await stateOf(member.id)).toBe('not_admin');
      await expectSignedOut(member, 'promoted while waiting');
    });
  });
});
