import type { Server } from 'node:http';
import { AdminBootstrap } from '../../src/auth/admin-bootstrap.js';
import request from 'supertest';
import { buildUser, login, type SignedInUser } from '../factories/user.factory.js';
import type { RunningApp } from './test-app.js';

/** Creates an admin through the same path as ADMIN_EMAIL/the CLI, and signs it in. */
export async function createSignedInAdmin(service: RunningApp): Promise<SignedInUser> {
  const input = buildUser();
  await service.app.get(AdminBootstrap).ensureAdmin(input.email, input.password);
  const server: Server = service.server;
  const tokens = await login(server, input.email, input.password);
  const me = await fetchMe(server, `Bearer ${tokens.accessToken}`);
  return { ...input, id: me.id, tokens, bearer: `Bearer ${tokens.accessToken}` };
}

async function fetchMe(server: Server, bearer: string): Promise<{ id: string }> {
  const response = await request(server).get('/api/v1/users/me').set('Authorization', bearer);
  return response.body as { id: string };
}
