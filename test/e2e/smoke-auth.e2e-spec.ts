import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createSignedInUser } from '../factories/user.factory.js';
import { createSignedInAdmin } from '../support/admin.js';
import { useTestApp } from '../support/test-app.js';

describe('auth smoke', () => {
  const service = useTestApp();

  it('registers, signs in and reads /users/me', async () => {
    const user = await createSignedInUser(service.server);
    const me = await request(service.server)
      .get('/api/v1/users/me')
      .set('Authorization', user.bearer);
    expect(me.status).toBe(200);
    expect(me.body.email).toBe(user.email);
    expect(me.headers.etag).toMatch(/^"1-/);
  });

  it('lets an admin list users', async () => {
    const admin = await createSignedInAdmin(service);
    const list = await request(service.server)
      .get('/api/v1/users')
      .set('Authorization', admin.bearer);
    expect(list.status).toBe(200);
    expect(list.body.data.length).toBeGreaterThan(0);
  });
});
