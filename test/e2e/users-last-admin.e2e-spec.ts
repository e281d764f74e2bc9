import { beforeAll, describe, expect, it } from '@jest/globals';
import type { SignedInUser } from '../factories/user.factory.js';
import { createSignedInAdmin } from '../support/admin.js';
import { useTestApp } from '../support/test-app.js';
import { expectProblem, usersApi } from '../support/users-api.js';

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
      const response = await api().delete('/api/v1/users/me').set('Authorization', admin.bearer);
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
