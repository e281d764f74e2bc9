import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createSignedInUser, login, registerUser } from '../factories/user.factory.js';
import { useTestApp, type TestApp } from '../support/test-app.js';

const ADMIN_PASSWORD = 'bootstrap-Admin-passphrase-42';

interface UserRow {
  id: string;
  roles: string[];
  status: string;
}

const uniqueEmail = (stem: string): string =>
  `${stem}-${randomBytes(4).toString('hex')}@example.com`;

describe('admin bootstrap from ADMIN_EMAIL / ADMIN_PASSWORD', () => {
  const plain = useTestApp();
  const environment = () => plain.environment;

  async function rowsFor(email: string): Promise<UserRow[]> {
    return environment().database.query<UserRow>(
      'SELECT id, roles, status FROM users WHERE email = $1',
      [email],
    );
  }

  async function listUsersAs(service: TestApp, email: string, password: string) {
    const tokens = await login(service.server, email, password);
    return request(service.server)
      .get('/api/v1/users')
      .set('Authorization', `Bearer ${tokens.accessToken}`);
  }

  it('creates an admin at startup who can sign in and list users', async () => {
    const email = uniqueEmail('boot');
    const service = await environment().startApp({
      ADMIN_EMAIL: email.toUpperCase(),
      ADMIN_PASSWORD,
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

  it('promotes an existing account with that email, keeping its id but not its password or sessions', async () => {
    const user = await createSignedInUser(plain.server, { email: uniqueEmail('promote') });
    const denied = await request(plain.server)
      .get('/api/v1/users')
      .set('Authorization', user.bearer);
    expect(denied.status).toBe(403);

    const service = await environment().startApp({ ADMIN_EMAIL: user.email, ADMIN_PASSWORD });

    const rows = await rowsFor(user.email);
    expect(rows).toHaveLength(1);
    expect(rows[0].id).toBe(user.id);
    expect(rows[0]).toMatchObject({ status: 'active' });
    expect([...rows[0].roles].sort()).toEqual(['admin', 'user']);
    // Whoever registered the address first must not end up an admin with their own password.
    const oldPassword = await request(service.server)
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password });
    expect(oldPassword.status).toBe(401);
    const oldSession = await request(service.server)
      .get('/api/v1/users/me')
      .set('Authorization', user.bearer);
    expect(oldSession.status).toBe(401);
    expect((await listUsersAs(service, user.email, ADMIN_PASSWORD)).status).toBe(200);
  });

  it('re-activates a disabled account with that email as an admin', async () => {
    const admin = uniqueEmail('root');
    const adminApp = await environment().startApp({ ADMIN_EMAIL: admin, ADMIN_PASSWORD });
    const adminTokens = await login(adminApp.server, admin, ADMIN_PASSWORD);
    const user = await registerUser(plain.server, { email: uniqueEmail('disabled') });
    await request(adminApp.server)
      .patch(`/api/v1/users/${user.id}`)
      .set('Authorization', `Bearer ${adminTokens.accessToken}`)
      .send({ status: 'disabled' })
      .expect(200);
    const refused = await request(plain.server)
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password });
    expect(refused.status).toBe(403);

    const service = await environment().startApp({ ADMIN_EMAIL: user.email, ADMIN_PASSWORD });

    const rows = await rowsFor(user.email);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: user.id, status: 'active' });
    expect(rows[0].roles).toContain('admin');
    expect((await listUsersAs(service, user.email, ADMIN_PASSWORD)).status).toBe(200);
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
