import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createSignedInUser, login, registerUser } from '../factories/user.factory.js';
import { createSignedInAdmin } from '../support/admin.js';
import { runCreateAdminCli } from '../support/create-admin-cli.js';
import { useTestApp, type RunningApp, type TestEnvironment } from '../support/test-app.js';

const ADMIN_PASSWORD = 'bootstrap-Admin-passphrase-42';

interface UserRow {
  id: string;
  roles: string[];
  status: string;
}

const uniqueEmail = (stem: string): string =>
  `${stem}-${randomBytes(4).toString('hex')}@example.com`;

function rowsWithEmail(environment: TestEnvironment, email: string): Promise<UserRow[]> {
  return environment.database.query<UserRow>(
    'SELECT id, roles, status FROM users WHERE email = $1',
    [email],
  );
}

describe('admin bootstrap from ADMIN_EMAIL / ADMIN_PASSWORD', () => {
  const plain = useTestApp();
  const environment = () => plain.environment;

  const rowsFor = (email: string) => rowsWithEmail(environment(), email);

  async function listUsersAs(service: RunningApp, email: string, password: string) {
    const tokens = await login(service.server, email, password);
    return request(service.server)
      .get('/api/v1/users')
      .set('Authorization', `Bearer ${tokens.accessToken}`);
  }

  it('creates an admin at startup who can sign in and list users', async () => {
    const email = uniqueEmail('boot');
    // The operator vouches for the address: an unverified admin would be locked out for good.
    const service = await environment().startApp({
      ADMIN_EMAIL: email.toUpperCase(),
      ADMIN_PASSWORD,
      REQUIRE_VERIFIED_EMAIL: 'true',
    });

    const rows = await rowsFor(email);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'active' });
    expect([...rows[0].roles].sort()).toEqual(['admin', 'user']);

    const list = await listUsersAs(service, email, ADMIN_PASSWORD);
    expect(list.status).toBe(200);
    expect((list.body as { data: Array<{ email: string }> }).data.map((u) => u.email)).toContain(
      email,
    );
  });

  it('is idempotent: a second application with the same variables keeps one admin', async () => {
    const email = uniqueEmail('again');
    await environment().startApp({ ADMIN_EMAIL: email, ADMIN_PASSWORD });
    const [first] = await rowsFor(email);
    expect(first).toBeDefined();

    const second = await environment().startApp({ ADMIN_EMAIL: email, ADMIN_PASSWORD });

    const rows = await rowsFor(email);
    expect(rows).toHaveLength(1);
    expect(rows[0].id).toBe(first.id);
    expect(rows[0]).toMatchObject({ status: 'active', roles: expect.arrayContaining(['admin']) });
    expect((await listUsersAs(second, email, ADMIN_PASSWORD)).status).toBe(200);
  });

  it('leaves an account that is not an admin alone while another active admin exists', async () => {
    await createSignedInAdmin(plain);
    const user = await createSignedInUser(plain.server, { email: uniqueEmail('bystander') });

    const service = await environment().startApp({ ADMIN_EMAIL: user.email, ADMIN_PASSWORD });

    expect(await rowsFor(user.email)).toEqual([{ id: user.id, roles: ['user'], status: 'active' }]);
    await request(service.server)
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    await request(service.server)
      .get('/api/v1/users/me')
      .set('Authorization', user.bearer)
      .expect(200);
  });

  it('never re-enables a disabled admin: it stays disabled across restarts and new replicas', async () => {
    const email = uniqueEmail('fired');
    const first = await environment().startApp({ ADMIN_EMAIL: email, ADMIN_PASSWORD });
    const fired = await login(first.server, email, ADMIN_PASSWORD);
    const other = await createSignedInAdmin(plain);
    const [row] = await rowsFor(email);
    await request(plain.server)
      .patch(`/api/v1/users/${row.id}`)
      .set('Authorization', other.bearer)
      .send({ status: 'disabled' })
      .expect(200);

    const restarted = await environment().startApp({ ADMIN_EMAIL: email, ADMIN_PASSWORD });
    const scaledOut = await Promise.all([
      environment().startApp({ ADMIN_EMAIL: email, ADMIN_PASSWORD }),
      environment().startApp({ ADMIN_EMAIL: email, ADMIN_PASSWORD }),
    ]);

    expect(await rowsFor(email)).toEqual([{ id: row.id, roles: row.roles, status: 'disabled' }]);
    for (const service of [restarted, ...scaledOut]) {
      const signIn = await request(service.server)
        .post('/api/v1/auth/login')
        .send({ email, password: ADMIN_PASSWORD });
      expect({ status: signIn.status, code: signIn.body.code }).toEqual({
        status: 403,
        code: 'AUTH_ACCOUNT_DISABLED',
      });
      await request(service.server)
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: fired.refreshToken })
        .expect(401);
    }
  });

  it('leaves a disabled account that is not an admin disabled', async () => {
    const other = await createSignedInAdmin(plain);
    const user = await registerUser(plain.server, { email: uniqueEmail('disabled') });
    await request(plain.server)
      .patch(`/api/v1/users/${user.id}`)
      .set('Authorization', other.bearer)
      .send({ status: 'disabled' })
      .expect(200);

    await environment().startApp({ ADMIN_EMAIL: user.email, ADMIN_PASSWORD });

    expect(await rowsFor(user.email)).toEqual([
      { id: user.id, roles: ['user'], status: 'disabled' },
    ]);
  });

  describe('the operator CLI (npm run user:create-admin)', () => {
    async function disabledAdmin(): Promise<{ email: string; id: string }> {
      const email = uniqueEmail('cli');
      await environment().startApp({ ADMIN_EMAIL: email, ADMIN_PASSWORD });
      const other = await createSignedInAdmin(plain);
      const [row] = await rowsFor(email);
      await request(plain.server)
        .patch(`/api/v1/users/${row.id}`)
        .set('Authorization', other.bearer)
        .send({ status: 'disabled' })
        .expect(200);
      return { email, id: row.id };
    }

    it('refuses to re-enable a disabled account without --reactivate (exit 1, nothing changes)', async () => {
      const { email, id } = await disabledAdmin();

      const run = await runCreateAdminCli(environment().env, ['--email', email], ADMIN_PASSWORD);

      expect(run.code).toBe(1);
      expect(run.output).toMatch(/disabled[\s\S]*--reactivate/);
      expect(await rowsFor(email)).toEqual([
        { id, roles: expect.arrayContaining(['admin']), status: 'disabled' },
      ]);
    });

    it('re-enables it as an admin with --reactivate, with the new password only', async () => {
      const { email, id } = await disabledAdmin();
      const newPassword = `${ADMIN_PASSWORD}-rotated`;

      const run = await runCreateAdminCli(
        environment().env,
        ['--email', email, '--reactivate'],
        newPassword,
      );

      expect(run).toMatchObject({ code: 0 });
      expect(run.output).toContain('reactivated');
      expect(await rowsFor(email)).toEqual([
        { id, roles: expect.arrayContaining(['admin']), status: 'active' },
      ]);
      expect((await listUsersAs(plain, email, newPassword)).status).toBe(200);
      await request(plain.server)
        .post('/api/v1/auth/login')
        .send({ email, password: ADMIN_PASSWORD })
        .expect(401);
    });
  });

  it('refuses a too-short ADMIN_PASSWORD when the configuration loads', async () => {
    const email = uniqueEmail('short');
    await expect(
      environment().startApp({ ADMIN_EMAIL: email, ADMIN_PASSWORD: 'short-pw' }),
    ).rejects.toThrow(/Invalid configuration[\s\S]*ADMIN_PASSWORD/);
    expect(await rowsFor(email)).toEqual([]);
  });

  it('refuses ADMIN_EMAIL without ADMIN_PASSWORD when the configuration loads', async () => {
    const email = uniqueEmail('half');
    await expect(environment().startApp({ ADMIN_EMAIL: email })).rejects.toThrow(
      /Invalid configuration[\s\S]*ADMIN_EMAIL and ADMIN_PASSWORD must be set together/,
    );
    expect(await rowsFor(email)).toEqual([]);
  });
});

describe('admin bootstrap with no active admin', () => {
  const service = useTestApp();
  const environment = () => service.environment;

  const rowsFor = (email: string) => rowsWithEmail(environment(), email);

  it('promotes an existing account with that email, keeping its id but not its password or sessions', async () => {
    const user = await createSignedInUser(service.server, { email: uniqueEmail('promote') });
    const denied = await request(service.server)
      .get('/api/v1/users')
      .set('Authorization', user.bearer);
    expect(denied.status).toBe(403);

    const promoted = await environment().startApp({
      ADMIN_EMAIL: user.email,
      ADMIN_PASSWORD,
      REQUIRE_VERIFIED_EMAIL: 'true',
    });

    const rows = await rowsFor(user.email);
    expect(rows).toHaveLength(1);
    expect(rows[0].id).toBe(user.id);
    expect(rows[0]).toMatchObject({ status: 'active' });
    expect([...rows[0].roles].sort()).toEqual(['admin', 'user']);
    // Whoever registered the address first must not end up an admin with their own password.
    const oldPassword = await request(promoted.server)
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password });
    expect(oldPassword.status).toBe(401);
    const oldSession = await request(promoted.server)
      .get('/api/v1/users/me')
      .set('Authorization', user.bearer);
    expect(oldSession.status).toBe(401);
    const tokens = await login(promoted.server, user.email, ADMIN_PASSWORD);
    await request(promoted.server)
      .get('/api/v1/users')
      .set('Authorization', `Bearer ${tokens.accessToken}`)
      .expect(200);
  });

  it('replicas starting together create one admin and all of them start', async () => {
    const email = uniqueEmail('together');
    const replicas = await Promise.all(
      Array.from({ length: 4 }, () =>
        environment().startApp({ ADMIN_EMAIL: email, ADMIN_PASSWORD }),
      ),
    );
    expect(replicas).toHaveLength(4);
    const rows = await rowsFor(email);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'active', roles: expect.arrayContaining(['admin']) });
  });
});
