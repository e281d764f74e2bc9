import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createSignedInUser, type SignedInUser } from '../factories/user.factory.js';
import { createSignedInAdmin } from '../support/admin.js';
import {
  decodeJwt,
  encodeJwtPart,
  signEs256,
  signHs256,
  unsignedJwt,
  type JoseHeader,
  type JwtClaims,
} from '../support/jwt.js';
import { expectProblem, expectUnauthorized } from '../support/problem.js';
import { useTestApp } from '../support/test-app.js';

describe('access token attacks', () => {
  const service = useTestApp();
  let admin: SignedInUser;
  let user: SignedInUser;
  /** The service's real development signing key and its kid. */
  let signingKey: KeyObject;
  let kid: string;

  beforeAll(async () => {
    admin = await createSignedInAdmin(service);
    user = await createSignedInUser(service.server);
    signingKey = createPrivateKey(
      await readFile(path.join(service.environment.dataDir, 'jwt-private-key.pem'), 'utf8'),
    );
    const jwks = await request(service.server).get('/.well-known/jwks.json').expect(200);
    kid = (jwks.body.keys as Array<{ kid: string }>)[0].kid;
  });

  const me = (token: string, server: Server = service.server) =>
    request(server).get('/api/v1/users/me').set('Authorization', `Bearer ${token}`);

  /** The claims of a real token of `owner`, with a fresh jti, a fresh iat and `overrides`. */
  function claimsOf(owner: SignedInUser, overrides: JwtClaims = {}): JwtClaims {
    const now = Math.floor(Date.now() / 1000);
    return {
      ...decodeJwt(owner.tokens.accessToken).payload,
      iat: now,
      exp: now + 600,
      jti: randomUUID(),
      ...overrides,
    };
  }

  const realHeader = (): JoseHeader => ({ alg: 'ES256', typ: 'at+jwt', kid });

  it('accepts a token this harness signs with the real key and correct claims (control)', async () => {
    const token = signEs256(realHeader(), claimsOf(user), signingKey);
    await me(token).expect(200);
  });

  it('refuses an alg "none" token with an empty signature', async () => {
    const token = unsignedJwt({ alg: 'none', typ: 'at+jwt', kid }, claimsOf(user));
    expectUnauthorized(await me(token), 'AUTH_TOKEN_INVALID');
  });

  it('refuses an HS256 token keyed with the public key PEM (algorithm confusion)', async () => {
    const publicPem = createPublicKey(signingKey).export({ format: 'pem', type: 'spki' });
    const header = { alg: 'HS256', typ: 'at+jwt', kid };
    for (const secret of [publicPem, publicPem.toString().trim()]) {
      expectUnauthorized(await me(signHs256(header, claimsOf(user), secret)), 'AUTH_TOKEN_INVALID');
    }
  });

  it('refuses a token with one signature byte flipped', async () => {
    const [encodedHeader, encodedPayload, encodedSignature] = user.tokens.accessToken.split('.');
    const signature = Buffer.from(encodedSignature, 'base64url');
    signature[10] ^= 0x01;
    const token = `${encodedHeader}.${encodedPayload}.${signature.toString('base64url')}`;
    expect(token).not.toBe(user.tokens.accessToken);
    expectUnauthorized(await me(token), 'AUTH_TOKEN_INVALID');
  });

  it('refuses a payload tampered to claim the admin role under the original signature', async () => {
    const [encodedHeader, , encodedSignature] = user.tokens.accessToken.split('.');
    const payload = { ...decodeJwt(user.tokens.accessToken).payload, roles: ['user', 'admin'] };
    const token = `${encodedHeader}.${encodeJwtPart(payload)}.${encodedSignature}`;

    expectUnauthorized(await me(token), 'AUTH_TOKEN_INVALID');
    const list = await request(service.server)
      .get('/api/v1/users')
      .set('Authorization', `Bearer ${token}`);
    expectUnauthorized(list, 'AUTH_TOKEN_INVALID');
  });

  it('refuses an expired token with 401 AUTH_TOKEN_EXPIRED, even one it has already verified', async () => {
    // A 2 s lifetime leaves the token valid for at least one whole second after it is issued.
    const shortLived = await service.environment.startApp({ ACCESS_TOKEN_TTL: '2' });
    const victim = await createSignedInUser(shortLived.server);
    expect(victim.tokens.expiresIn).toBe(2);
    await me(victim.tokens.accessToken, shortLived.server).expect(200);

    const exp = decodeJwt(victim.tokens.accessToken).payload.exp as number;
    await sleep(Math.max(0, exp * 1000 - Date.now()) + 250);
    expectUnauthorized(
      await me(victim.tokens.accessToken, shortLived.server),
      'AUTH_TOKEN_EXPIRED',
    );
  });

  it('refuses a token signed with the real key whose exp has passed', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = signEs256(
      realHeader(),
      claimsOf(user, { iat: now - 120, exp: now - 60 }),
      signingKey,
    );
    expectUnauthorized(await me(token), 'AUTH_TOKEN_EXPIRED');
  });

  it('refuses a token signed with the real key that is not valid before a future nbf', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = signEs256(realHeader(), claimsOf(user, { nbf: now + 300 }), signingKey);
    expectUnauthorized(await me(token), 'AUTH_TOKEN_INVALID');
  });

  it('refuses a token signed with the real key that claims to be issued far in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = signEs256(
      realHeader(),
      claimsOf(user, { iat: now + 3_600, exp: now + 4_500 }),
      signingKey,
    );
    expectUnauthorized(await me(token), 'AUTH_TOKEN_INVALID');
  });

  it.each<[string, JoseHeader, JwtClaims]>([
    ['a wrong issuer', {}, { iss: 'https://evil.example.net' }],
    ['a wrong audience', {}, { aud: 'another-service' }],
    ['no audience', {}, { aud: undefined }],
    ['a token type other than at+jwt', { typ: 'JWT' }, {}],
  ])('refuses a token signed with the real key with %s', async (_case, header, claims) => {
    const token = signEs256({ ...realHeader(), ...header }, claimsOf(user, claims), signingKey);
    expectUnauthorized(await me(token), 'AUTH_TOKEN_INVALID');
  });

  it('refuses a token signed with the real key under an unknown kid', async () => {
    const token = signEs256({ ...realHeader(), kid: 'unknown-key' }, claimsOf(user), signingKey);
    expectUnauthorized(await me(token), 'AUTH_TOKEN_INVALID');
    const noKid = signEs256({ alg: 'ES256', typ: 'at+jwt' }, claimsOf(user), signingKey);
    expectUnauthorized(await me(noKid), 'AUTH_TOKEN_INVALID');
  });

  it('ignores a jku header pointing at an attacker JWKS and never fetches it', async () => {
    const attacker = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const attackerJwk = { ...attacker.publicKey.export({ format: 'jwk' }), kid: 'attacker-key' };
    const fetched: string[] = [];
    const jwksHost = createServer((incoming, outgoing) => {
      fetched.push(incoming.url ?? '');
      outgoing.setHeader('Content-Type', 'application/json');
      outgoing.end(JSON.stringify({ keys: [{ ...attackerJwk, alg: 'ES256', use: 'sig' }] }));
    });
    await new Promise<void>((resolve) => jwksHost.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = jwksHost.address() as AddressInfo;
      const header = {
        alg: 'ES256',
        typ: 'at+jwt',
        kid: 'attacker-key',
        jku: `http://127.0.0.1:${port}/jwks.json`,
      };
      const token = signEs256(header, claimsOf(user), attacker.privateKey);
      expectUnauthorized(await me(token), 'AUTH_TOKEN_INVALID');

      const withOurKid = signEs256({ ...header, kid }, claimsOf(user), attacker.privateKey);
      expectUnauthorized(await me(withOurKid), 'AUTH_TOKEN_INVALID');
      expect(fetched).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => jwksHost.close(() => resolve()));
    }
  });

  it('ignores a public key embedded in the jwk header', async () => {
    const attacker = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const jwk: JsonWebKey = attacker.publicKey.export({ format: 'jwk' });
    const token = signEs256({ ...realHeader(), jwk }, claimsOf(user), attacker.privateKey);
    expectUnauthorized(await me(token), 'AUTH_TOKEN_INVALID');
  });

  it.each<[string, Record<string, string>]>([
    ['no Authorization header', {}],
    ['a Basic Authorization header', { Authorization: 'Basic dXNlcjpwYXNz' }],
    ['an empty bearer', { Authorization: 'Bearer ' }],
  ])(
    'answers %s with 401 AUTH_TOKEN_MISSING and a WWW-Authenticate challenge',
    async (_case, headers) => {
      const response = await request(service.server).get('/api/v1/users/me').set(headers);
      expectUnauthorized(response, 'AUTH_TOKEN_MISSING');
      expect(response.headers['www-authenticate']).toBe('Bearer realm="api"');
    },
  );

  it('answers garbage in place of a token with a 401 problem', async () => {
    for (const garbage of ['x', 'a.b.c', 'eyJhbGciOiJFUzI1NiJ9..', '....']) {
      expectUnauthorized(await me(garbage), 'AUTH_TOKEN_INVALID');
    }
  });

  it('answers a non-admin on an admin route with 403 AUTH_FORBIDDEN', async () => {
    const response = await request(service.server)
      .get('/api/v1/users')
      .set('Authorization', user.bearer);
    expectProblem(response, 403, 'AUTH_FORBIDDEN');
    expect(response.headers['www-authenticate']).toBeUndefined();
  });

  it("rejects a disabled user's still-valid access token at once", async () => {
    const victim = await createSignedInUser(service.server);
    await me(victim.tokens.accessToken).expect(200);

    await request(service.server)
      .patch(`/api/v1/users/${victim.id}`)
      .set('Authorization', admin.bearer)
      .send({ status: 'disabled' })
      .expect(200);

    expectUnauthorized(await me(victim.tokens.accessToken), 'AUTH_SESSION_REVOKED');
    const refreshed = await request(service.server)
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: victim.tokens.refreshToken });
    expect(refreshed.status).toBe(401);
  });

  it("rejects a deleted user's access token at once", async () => {
    const victim = await createSignedInUser(service.server);
    await me(victim.tokens.accessToken).expect(200);

    await request(service.server)
      .delete(`/api/v1/users/${victim.id}`)
      .set('Authorization', admin.bearer)
      .expect(204);

    expectUnauthorized(await me(victim.tokens.accessToken), 'AUTH_SESSION_REVOKED');
  });

  it('rejects the access token of a user who deleted their own account', async () => {
    const victim = await createSignedInUser(service.server);
    await request(service.server)
      .delete('/api/v1/users/me')
      .set('Authorization', victim.bearer)
      .send({ password: victim.password })
      .expect(204);

    expectUnauthorized(await me(victim.tokens.accessToken), 'AUTH_SESSION_REVOKED');
  });

  it('still serves the victim of every forgery above with their real token', async () => {
    await me(user.tokens.accessToken).expect(200);
  });
});
