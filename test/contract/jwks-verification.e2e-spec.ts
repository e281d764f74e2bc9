import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyOptions } from 'jose';
import { createUserAuthClient } from '../../clients/typescript/index.js';
import { buildUser } from '../factories/user.factory.js';
import type { BuiltService } from '../support/built-service.js';
import { useTestEnvironment } from '../support/test-app.js';

const ISSUER = 'https://auth.example.test';
const AUDIENCE = 'orders-api';

/** What a resource server passes to `jwtVerify`: the README's snippet. */
const VERIFY: JWTVerifyOptions = {
  issuer: ISSUER,
  audience: AUDIENCE,
  algorithms: ['ES256'],
  typ: 'at+jwt',
};

const jwksOf = (service: BuiltService) =>
  createRemoteJWKSet(new URL(service.url('/.well-known/jwks.json')));

function newKeyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Another service's view: it verifies the access tokens locally with jose and the JWKS. */
describe('another service verifies access tokens with jose through /.well-known/jwks.json', () => {
  const handle = useTestEnvironment();
  const oldKey = newKeyPair();
  const newKey = newKeyPair();
  const keyFiles = { oldPrivate: '', newPrivate: '', oldPublic: '' };

  beforeAll(async () => {
    const dir = handle.environment.dataDir;
    keyFiles.oldPrivate = path.join(dir, 'old-private.pem');
    keyFiles.newPrivate = path.join(dir, 'new-private.pem');
    keyFiles.oldPublic = path.join(dir, 'old-public.pem');
    await writeFile(keyFiles.oldPrivate, oldKey.privatePem);
    await writeFile(keyFiles.newPrivate, newKey.privatePem);
    await writeFile(keyFiles.oldPublic, oldKey.publicPem);
  });

  const start = (env: Record<string, string>) =>
    handle.environment.startBuiltService({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, ...env });

  async function signIn(service: BuiltService, user = buildUser()) {
    const client = createUserAuthClient(service.url(''));
    await client.POST('/api/v1/auth/register', {
      body: { email: user.email, password: user.password },
    });
    const { data, response } = await client.POST('/api/v1/auth/login', {
      body: { email: user.email, password: user.password },
    });
    if (!data) throw new Error(`login answered ${response.status}`);
    return data.accessToken;
  }

  it('accepts a valid token, and refuses a tampered one, another audience or issuer, and an unsigned one', async () => {
    const service = await start({ JWT_PRIVATE_KEY_FILE: keyFiles.oldPrivate });
    try {
      const token = await signIn(service);
      const jwks = jwksOf(service);

      const { payload, protectedHeader } = await jwtVerify(token, jwks, VERIFY);
      expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
      expect(payload).toMatchObject({ iss: ISSUER, aud: AUDIENCE, roles: ['user'] });
      expect(payload.sub).toMatch(/^[0-9a-f-]{36}$/);
      expect(typeof payload.sid).toBe('string');

      const [header, body, signature] = token.split('.');
      const claims = JSON.parse(Buffer.from(body ?? '', 'base64url').toString()) as object;
      const elevated = Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString(
        'base64url',
      );
      await expect(jwtVerify(`${header}.${elevated}.${signature}`, jwks, VERIFY)).rejects.toThrow(
        errors.JWSSignatureVerificationFailed,
      );
      await expect(
        jwtVerify(token, jwks, { ...VERIFY, audience: 'billing-api' }),
      ).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });
      await expect(
        jwtVerify(token, jwks, { ...VERIFY, issuer: 'https://someone-else.test' }),
      ).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'iss' });
      const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${body}.`;
      await expect(jwtVerify(unsigned, jwks, VERIFY)).rejects.toThrow(errors.JOSEAlgNotAllowed);
    } finally {
      await service.stop();
    }
  });

  it('keeps verifying tokens across a key rotation (README, Operations) until the old key is dropped', async () => {
    const before = await start({ JWT_PRIVATE_KEY_FILE: keyFiles.oldPrivate });
    const oldToken = await signIn(before);
    await before.stop();

    const rotating = await start({
      JWT_PRIVATE_KEY_FILE: keyFiles.newPrivate,
      JWT_PUBLIC_KEYS_FILE: keyFiles.oldPublic,
    });
    try {
      const newToken = await signIn(rotating);
      const jwks = jwksOf(rotating);
      const oldKid = (await jwtVerify(oldToken, jwks, VERIFY)).protectedHeader.kid;
      const newKid = (await jwtVerify(newToken, jwks, VERIFY)).protectedHeader.kid;
      expect(newKid).not.toBe(oldKid);
    } finally {
      await rotating.stop();
    }

    const after = await start({ JWT_PRIVATE_KEY_FILE: keyFiles.newPrivate });
    try {
      const jwks = jwksOf(after);
      await expect(jwtVerify(await signIn(after), jwks, VERIFY)).resolves.toBeDefined();
      await expect(jwtVerify(oldToken, jwks, VERIFY)).rejects.toThrow(errors.JWKSNoMatchingKey);
    } finally {
      await after.stop();
    }
  });
});
