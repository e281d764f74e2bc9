import { beforeAll, describe, expect, it } from '@jest/globals';
import { hash } from '@node-rs/argon2';
import request from 'supertest';
import { argon2OptionsOf } from '../../src/common/security/password-hasher.js';
import { ARGON2_MINIMUM } from '../../src/config/app-config.js';
import {
  createSignedInUser,
  login,
  registerUser,
  type RegisteredUser,
} from '../factories/user.factory.js';
import { expectUnauthorized } from '../support/problem.js';
import type { TestApp } from '../support/test-app.js';
import { useTestApp, useTestEnvironment } from '../support/test-app.js';

// Below OWASP's minimum, which only production refuses: cheap to compute, easy to tell apart.
const PARAMETERS_A = { ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1', ARGON2_PARALLELISM: '1' };
const PARAMETERS_B = { ARGON2_MEMORY_KIB: '9216', ARGON2_TIME_COST: '2', ARGON2_PARALLELISM: '2' };

const PREFIX_A = '$argon2id$v=19$m=8192,t=1,p=1$';
const PREFIX_B = '$argon2id$v=19$m=9216,t=2,p=2$';

describe('password hash upgrade when the argon2 parameters change', () => {
  const scope = useTestEnvironment();
  // Registered under parameters A, then the service restarts under B.
  let failing: RegisteredUser;
  let succeeding: RegisteredUser;
  let upgraded: TestApp;

  const storedHash = async (id: string): Promise<string> => {
    const [row] = await scope.environment.database.query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE id = $1',
      [id],
    );
    return row.password_hash;
  };

  beforeAll(async () => {
    const before = await scope.environment.startApp(PARAMETERS_A);
    failing = await registerUser(before.server);
    succeeding = await registerUser(before.server);
    await before.close();
    upgraded = await scope.environment.startApp(PARAMETERS_B);
  });

  it('stored the passwords under the parameters configured at registration', async () => {
    expect((await storedHash(failing.id)).startsWith(PREFIX_A)).toBe(true);
    expect((await storedHash(succeeding.id)).startsWith(PREFIX_A)).toBe(true);
  });

  it('keeps the old hash after a failed sign-in under new parameters', async () => {
    const before = await storedHash(failing.id);
    const response = await request(upgraded.server)
      .post('/api/v1/auth/login')
      .send({ email: failing.email, password: `${failing.password}-wrong` });
    expectUnauthorized(response, 'AUTH_INVALID_CREDENTIALS');
    expect(await storedHash(failing.id)).toBe(before);
  });

  it('re-hashes the password under the new parameters at a successful sign-in; it keeps working', async () => {
    const before = await storedHash(succeeding.id);

    await login(upgraded.server, succeeding.email, succeeding.password);

    const after = await storedHash(succeeding.id);
    expect(after.startsWith(PREFIX_B)).toBe(true);
    expect(after).not.toBe(before);
    await login(upgraded.server, succeeding.email, succeeding.password);
    // Already under the current parameters: not hashed again.
    expect(await storedHash(succeeding.id)).toBe(after);
  });
});

describe('password hash upgrade with other sessions signed in', () => {
  const service = useTestApp();

  it('upgrades an outdated password hash at sign-in without ending the other sessions', async () => {
    const user = await createSignedInUser(service.server);
    const outdated = await hash(user.password, argon2OptionsOf({ ...ARGON2_MINIMUM, timeCost: 1 }));
    const db = service.environment.database;
    await db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [user.id, outdated]);
    const [before] = await db.query<{ credentials_version: number }>(
      'SELECT credentials_version FROM users WHERE id = $1',
      [user.id],
    );

    await login(service.server, user.email, user.password);

    const [after] = await db.query<{ password_hash: string; credentials_version: number }>(
      'SELECT password_hash, credentials_version FROM users WHERE id = $1',
      [user.id],
    );
    expect(after.password_hash).not.toBe(outdated);
    expect(after.password_hash).toContain(
      `m=${ARGON2_MINIMUM.memoryKib},t=${ARGON2_MINIMUM.timeCost},p=${ARGON2_MINIMUM.parallelism}$`,
    );
    // The same password in a stronger hash is not a credentials change.
    expect(after.credentials_version).toBe(before.credentials_version);
    const refreshed = await request(service.server)
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: user.tokens.refreshToken });
    expect(refreshed.status).toBe(200);
  });
});
