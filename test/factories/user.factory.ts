import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import request from 'supertest';

export interface UserInput {
  email: string;
  password: string;
  displayName?: string | null;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
  refreshExpiresIn: number;
}

export interface RegisteredUser extends UserInput {
  id: string;
}

export interface SignedInUser extends RegisteredUser {
  tokens: TokenPair;
  /** `Authorization` header value for the access token. */
  bearer: string;
}

/** A valid registration body; unique email per call. */
export function buildUser(overrides: Partial<UserInput> = {}): UserInput {
  const tag = randomBytes(5).toString('hex');
  return {
    email: `user-${tag}@example.com`,
    password: `Tr0ub4dor-and-${tag}-staple`,
    displayName: `User ${tag}`,
    ...overrides,
  };
}

export async function registerUser(
  server: Server,
  overrides: Partial<UserInput> = {},
): Promise<RegisteredUser> {
  const input = buildUser(overrides);
  const response = await request(server).post('/api/v1/auth/register').send(input);
  if (response.status !== 201) {
    throw new Error(`register failed: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return { ...input, id: (response.body as { id: string }).id };
}

export async function login(server: Server, email: string, password: string): Promise<TokenPair> {
  const response = await request(server).post('/api/v1/auth/login').send({ email, password });
  if (response.status !== 200) {
    throw new Error(`login failed: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body as TokenPair;
}

/** Registers a user and signs them in. */
export async function createSignedInUser(
  server: Server,
  overrides: Partial<UserInput> = {},
): Promise<SignedInUser> {
  const user = await registerUser(server, overrides);
  const tokens = await login(server, user.email, user.password);
  return { ...user, tokens, bearer: `Bearer ${tokens.accessToken}` };
}
